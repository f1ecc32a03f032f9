// A group chat with a file, through a Parley relay: Alice creates a group with Bob and Carol,
// sends a text and a file, Bob reads both, then Alice removes Carol, who reads nothing after.
// Three clients in one process, for brevity. Run a relay, then:
//   node examples/group-chat/group.mjs ws://localhost:8787
import { MemoryStore, ParleyClient } from "@parley/protocol/client";
import { nodeTransport } from "@parley/protocol/node";

const relayUrl = process.argv[2] ?? "ws://localhost:8787";
const run = Math.random().toString(36).slice(2, 8); // Fresh handles on every run.

async function account(name) {
  const client = await ParleyClient.create({ relayUrl, store: new MemoryStore(), transport: nodeTransport, displayName: name });
  await client.connect({ timeoutMs: 20_000 });
  await client.claimHandle(`${name.toLowerCase()}_${run}`);
  return client;
}

/** The next `event` from `client` whose payload passes `test`. */
function next(client, event, test = () => true) {
  return new Promise((resolve) => {
    const off = client.on(event, (payload) => {
      if (!test(payload)) return;
      off();
      resolve(payload);
    });
  });
}

const [alice, bob, carol] = await Promise.all(["Alice", "Bob", "Carol"].map(account));

// Bob and Carol say hi first, so Alice holds their profiles: the delivery tokens that let
// her group messages reach them without telling the relay who sends.
const friends = [];
for (const friend of [bob, carol]) {
  const hi = next(alice, "message", (m) => m.text === "hi Alice");
  await friend.sendText((await friend.findContact(alice.handle)).id, "hi Alice");
  friends.push((await hi).contactId);
}

// Creating a group is a signed change that every member checks; each gets a `group` event.
const joined = [bob, carol].map((c) => next(c, "group"));
const group = await alice.groups.create({ name: "Weekend trip", description: "Plans and tickets", members: friends });
const atBob = (await Promise.all(joined))[0];
console.log(`Bob is in "${atBob.name}" with ${atBob.members.length} members`);

// A group's conversation id (group.id) works with sendText, sendFile, react, messages, …
// Each message is encrypted once and uploaded once for every member device.
const text = next(bob, "message", (m) => m.contactId === group.id && m.kind === "text");
const file = next(bob, "message", (m) => m.contactId === group.id && m.kind === "attachment");
await alice.sendText(group.id, "Tickets attached!");
const tickets = new Blob(["Train 9:04, coach 7, seats 41-43\n"], { type: "text/plain" });
await alice.sendFile(group.id, tickets, { fileName: "tickets.txt" });
console.log(`Bob got: ${(await text).text}`);

// The file streams back decrypted, each chunk only after it verified.
const message = await file;
let content = "";
const decoder = new TextDecoder();
for await (const chunk of bob.openAttachment(message)) content += decoder.decode(chunk, { stream: true });
console.log(`Bob opened ${message.attachment.fileName}: ${content.trim()}`);

// Removing Carol: every remaining member moves to a new sender key she never gets.
const removed = next(bob, "group", (g) => g.id === group.id && g.members.length === 2);
await alice.groups.remove(group.id, [carol.userId]);
await removed;
const after = next(bob, "message", (m) => m.text === "Just us two now");
await alice.sendText(group.id, "Just us two now");
await after;
const carolSees = (await carol.messages(group.id)).some((m) => m.text === "Just us two now");
console.log(`Carol removed; she reads the next message: ${carolSees}`);

await Promise.all([alice, bob, carol].map((c) => c.flush()));
await Promise.all([alice, bob, carol].map((c) => c.close()));
