// `lookup_handle` per account (issue 13, relay item 6): an account's lookups share one bucket
// across its devices and connections: N answered, N+1 → RATE_LIMITED; other accounts unaffected.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addDevice, newIdentity } from "./identities.js";
import { startTestServer, type TestServer } from "./server-fixture.js";
import { SocketClient } from "./socket-client.js";

const N = 4;
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ handleLookupBurst: N });
});
afterAll(async () => {
  await t.stop();
});

async function registered(identity: ReturnType<typeof newIdentity>): Promise<SocketClient> {
  const c = await SocketClient.connect(t.url);
  expect(await c.register(identity)).toMatchObject({ t: "ok" });
  return c;
}

describe("lookup_handle", () => {
  it("answers N lookups per account across its devices and refuses lookup N+1 with RATE_LIMITED", async () => {
    const target = await registered(newIdentity());
    expect(await target.request({ t: "claim_handle", handle: "lookup_target" })).toMatchObject({ t: "ok" });
    const d1 = newIdentity();
    const d2 = addDevice(d1, 2, [1, 2]);
    const conns = [await registered(d1), await registered(d2)];
    const answers: string[] = [];
    for (let i = 0; i < N; i++) {
      const answer = await (conns[i % 2] as SocketClient).request({ t: "lookup_handle", handle: i % 2 ? "lookup_target" : "no_such_one" });
      answers.push(answer.t === "error" ? answer.code : answer.t);
    }
    expect(answers).toEqual(["NOT_FOUND", "handle", "NOT_FOUND", "handle"]);
    expect(await (conns[0] as SocketClient).request({ t: "lookup_handle", handle: "lookup_target" })).toMatchObject({
      t: "error",
      code: "RATE_LIMITED",
    });
    const other = await registered(newIdentity());
    expect(await other.request({ t: "lookup_handle", handle: "lookup_target" })).toMatchObject({ t: "handle" });
    await Promise.all([target, ...conns, other].map((c) => c.close()));
  });
});
