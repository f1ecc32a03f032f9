// A group video call in the web client: three people in Chromium (fake camera, microphone; loopback
// ICE) in a group made in the browser. The caller rings both members, both accept, and the mesh
// connects: every page decodes the two others' video. When the caller hangs up the other two stay
// connected; when one of them hangs up the last one's call ends too. Screenshots in
// test-output/web/calls/.
import type { Page } from "playwright-core";
import { expect } from "vitest";
import { launchChromium } from "../support/chromium.js";
import { openConversation, send, waitForMessage } from "./support/chat-page.js";
import { NewGroupPage } from "./support/groups-page.js";
import { expectDecoding } from "./support/video.js";
import { shot, signUp, useWebSetup, webTest } from "./support/web.js";

/** Fake camera and microphone, auto-allowed; host candidates on loopback. */
const MEDIA_FLAGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--allow-loopback-in-peer-connection"];

const web = useWebSetup({ browser: () => launchChromium(MEDIA_FLAGS) });

const PART = "calls";

/** The number of remote video tiles in the page's call view. */
function remoteTiles(page: Page): Promise<number> {
  return page.getByRole("dialog").locator('video[aria-label^="Video of "]').count();
}

webTest("a group video call of three: everyone sees both others, the call outlives the caller", { timeout: 240_000 }, async () => {
  const erin = await signUp(web.browser, web.relay, "erin", "Erin");
  const finn = await signUp(web.browser, web.relay, "finn", "Finn");
  const gus = await signUp(web.browser, web.relay, "gus", "Gus");
  const [e, f, g] = [erin.page, finn.page, gus.page];
  const newGroup = new NewGroupPage(e);
  await newGroup.open();
  await newGroup.setName("Crew");
  await newGroup.addMember("finn");
  await newGroup.addMember("gus");
  await newGroup.create();
  await send(e, "crew call");
  for (const p of [f, g]) {
    await openConversation(p, "Crew");
    await waitForMessage(p, "crew call");
  }

  await e.getByRole("button", { name: "Video call Crew" }).click();
  for (const p of [f, g]) {
    const ringing = p.getByRole("alertdialog", { name: "Erin in Crew" });
    await ringing.waitFor({ timeout: 30_000 });
    await ringing.getByRole("button", { name: "Accept" }).click();
  }
  await expectDecoding(e, "Video of Finn", "4:3");
  await expectDecoding(e, "Video of Gus", "4:3");
  await expectDecoding(f, "Video of Erin", "4:3");
  await expectDecoding(f, "Video of Gus", "4:3");
  await expectDecoding(g, "Video of Erin", "4:3");
  await expectDecoding(g, "Video of Finn", "4:3");
  await shot(e, PART, "07-group-call");

  // The caller leaves: Finn and Gus keep their leg.
  await e.getByRole("button", { name: "Hang up" }).click();
  await e.getByRole("dialog").waitFor({ state: "detached", timeout: 15_000 });
  await expect.poll(() => remoteTiles(f), { timeout: 15_000 }).toBe(1);
  await expectDecoding(f, "Video of Gus", "4:3");
  await expectDecoding(g, "Video of Finn", "4:3");

  // Finn leaves too: Gus's call is over.
  await f.getByRole("button", { name: "Hang up" }).click();
  await f.getByRole("dialog").waitFor({ state: "detached", timeout: 15_000 });
  await g.getByRole("dialog").waitFor({ state: "detached", timeout: 15_000 });
  for (const user of [erin, finn, gus]) {
    expect(user.pageErrors).toEqual([]);
    await user.context.close();
  }
});
