// A minimal chat over a Parley relay, for two terminals (or two processes in a test):
//
//   node examples/node-chat/chat.mjs ws://localhost:8787 alice bob "hi bob"
//   node examples/node-chat/chat.mjs ws://localhost:8787 bob alice "hi alice"
//
// Each side creates an account, claims its handle, waits until the other handle exists, sends
// its message, prints what it receives, and exits after the first message from the peer.
import { ErrorCode, ParleyError } from "@parley/protocol";
import { MemoryStore, ParleyClient } from "@parley/protocol/client";
import { nodeTransport } from "@parley/protocol/node";

const [relayUrl, myHandle, peerHandle, text = `hello from ${myHandle}`] = process.argv.slice(2);
if (!relayUrl || !myHandle || !peerHandle) {
  console.error("usage: chat.mjs <relay ws url> <my handle> <peer handle> [message]");
  process.exit(2);
}

const client = await ParleyClient.create({ relayUrl, store: new MemoryStore(), transport: nodeTransport, displayName: myHandle });
// Listen before anything else: the peer's message can arrive while we are still looking it up.
const received = new Promise((resolve) => {
  client.on("message", (message) => {
    if (message.outgoing || message.kind !== "text") return;
    console.log(`${peerHandle}: ${message.text}`);
    resolve();
  });
});
// Gives up (ERR_TIMEOUT) if the relay cannot be reached in 20 s, instead of waiting forever.
await client.connect({ timeoutMs: 20_000 });
await client.claimHandle(myHandle);
console.log(`${myHandle} is online`);

// The peer may not have claimed its handle yet (the relay answers NOT_FOUND until then): look
// it up until it has, for up to a minute. Any other error is real.
let peer;
for (const deadline = Date.now() + 60_000; !peer; ) {
  try {
    peer = await client.findContact(peerHandle);
  } catch (error) {
    const notYet = ParleyError.is(error, ErrorCode.Relay) && error.reason === "NOT_FOUND";
    if (!notYet || Date.now() > deadline) throw error;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

await client.sendText(peer.id, text);
await received;
const safety = await client.safetyNumber(peer.id);
console.log(`safety number with ${peerHandle}: ${safety.display}`);
await client.flush();
await client.close(); // Also closes the store.
