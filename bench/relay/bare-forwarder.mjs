#!/usr/bin/env node
// The baseline of the relay benchmark: a minimal `ws` server with no storage and no protocol,
// what forwarding costs before durability and Parley's frames. Binary frames only:
//   hello  0x48 ‖ address (16)                      → registers the connection as that address; answered 0x68
//   send   0x53 ‖ u32 reqId ‖ to (16) ‖ messageId (16) ‖ envelope
//          → forwarded as is to the connection registered as `to`, and answered at once with
//            ack 0x41 ‖ u32 reqId ‖ status (0 forwarded, 1 no such recipient)
//   ack    0x4b ‖ messageId (16) × n                 → read and dropped (the load generator's
//          recipients acknowledge as they do on the relay; there is nothing to delete here)
// `GET /stats` answers {"connections": n, "registered": n}. Usage:
//   node bench/relay/bare-forwarder.mjs --host 127.0.0.1 --port 0
import { createServer } from "node:http";
import { WebSocketServer } from "ws";

const HELLO = 0x48;
const SEND = 0x53;
const ACK = 0x4b;
const ADDRESS_BYTES = 16;
const SEND_HEADER = 1 + 4 + ADDRESS_BYTES + 16;
/** Same frame ceiling as the relay's default maxFrameBytes. */
const MAX_FRAME_BYTES = 96 * 1024;

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
};
const host = option("--host", "127.0.0.1");
const port = Number(option("--port", "0"));

/** Registered connections by address (hex). */
const byAddress = new Map();
let connections = 0;
let acksDropped = 0;

const server = createServer((req, res) => {
  if (req.url === "/stats") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ connections, registered: byAddress.size, acksDropped }));
    return;
  }
  res.writeHead(404);
  res.end();
});
const wss = new WebSocketServer({ server, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });

wss.on("connection", (ws) => {
  connections++;
  let address;
  ws.on("message", (data, isBinary) => {
    if (!isBinary || data.length === 0) return;
    switch (data[0]) {
      case HELLO: {
        if (data.length !== 1 + ADDRESS_BYTES || address !== undefined) return;
        address = data.toString("hex", 1);
        byAddress.set(address, ws);
        ws.send(Buffer.of(0x68));
        return;
      }
      case SEND: {
        if (data.length <= SEND_HEADER) return;
        const recipient = byAddress.get(data.toString("hex", 5, 5 + ADDRESS_BYTES));
        if (recipient) recipient.send(data);
        const answer = Buffer.allocUnsafe(6);
        answer[0] = 0x41;
        answer.writeUInt32BE(data.readUInt32BE(1), 1);
        answer[5] = recipient ? 0 : 1;
        ws.send(answer);
        return;
      }
      case ACK:
        acksDropped++;
        return;
    }
  });
  ws.on("close", () => {
    connections--;
    if (address !== undefined && byAddress.get(address) === ws) byAddress.delete(address);
  });
  ws.on("error", () => {});
});

server.listen(port, host, () => {
  process.stdout.write(`bare forwarder listening on http://${host}:${server.address().port}\n`);
});
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.once(signal, () => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
