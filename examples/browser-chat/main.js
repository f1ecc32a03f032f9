// The browser chat's logic: one ParleyClient over the browser's own WebSocket (the SDK's
// default transport) and an IndexedDbStore, so the account survives a reload.
//
//   npm run build && npm start            # a relay on this machine (prints its URL)
//   npx vite examples/browser-chat        # then open the page in two browsers, or chat with
//                                         # examples/node-chat from a terminal
//
// `npx vite build examples/browser-chat` makes a static bundle; no Vite config is needed.
import { IndexedDbStore, ParleyClient } from "@parley/protocol/client";

const $ = (id) => document.getElementById(id);
const status = (text) => {
  $("status").textContent = text;
};

/** Opens the account kept in this browser under `handle`, or creates one. */
async function openClient(relayUrl, handle) {
  const store = await IndexedDbStore.open(`parley-${handle}`);
  try {
    return await ParleyClient.open({ relayUrl, store });
  } catch {
    // The store holds no account yet.
    return ParleyClient.create({ relayUrl, store, displayName: handle });
  }
}

/** Looks `handle` up until it exists at the relay (the peer may not have claimed it yet). */
async function findWhenClaimed(client, handle) {
  for (const deadline = Date.now() + 5 * 60_000; ; ) {
    try {
      return await client.findContact(handle);
    } catch (error) {
      // Until the peer claims its handle the relay answers NOT_FOUND; give up after the deadline.
      if (Date.now() > deadline) throw error;
      status(`Waiting for ${handle} to join…`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

function show(message, peerHandle) {
  if (message.kind !== "text") return;
  const item = document.createElement("li");
  item.dataset.outgoing = String(message.outgoing);
  item.textContent = `${message.outgoing ? "me" : peerHandle}: ${message.text}`;
  $("messages").append(item);
}

async function start({ relay, me, peer }) {
  status("Connecting…");
  const client = await openClient(relay, me);
  // Listen before connecting: messages queued at the relay arrive as soon as we are online.
  client.on("message", (message) => show(message, peer));
  client.on("error", (error) => console.warn("parley:", error.message));
  await client.connect();
  if (client.handle === undefined) await client.claimHandle(me);
  const contact = await findWhenClaimed(client, peer);
  for (const message of await client.messages(contact.id)) show(message, peer);
  status(`Chatting with ${peer} as ${me}.`);
  $("compose").hidden = false;
  $("compose").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("text");
    const text = input.value;
    input.value = "";
    await client.sendText(contact.id, text);
  });
}

$("setup").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  $("setup").hidden = true;
  start({ relay: String(form.get("relay")), me: String(form.get("me")), peer: String(form.get("peer")) }).catch((error) => {
    status(`Failed: ${error.message}`);
    console.error(error);
  });
});
