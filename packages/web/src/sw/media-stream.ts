/**
 * Media streaming through the service worker: a video plays while its attachment still
 * downloads. The page sets `video.src` to a same-origin URL (`/parley-media/<message id>`); for
 * each request the worker asks the page that made it (a MessageChannel), the page opens the
 * attachment with the SDK (`client.openAttachment`: every piece verified) and transfers the
 * plaintext ReadableStream back, and the worker answers with `new Response(stream)`. Range
 * requests are answered from the same stream, skipping to the start (the SDK reads from the
 * beginning). Plaintext never touches a cache: the response is `no-store`.
 */
import { parseRange } from "./media-range.js";
import type { SwFetchEvent, SwScope } from "./sw-scope.js";

/** Path prefix of streamed media; the rest is the message id (hex). */
export const MEDIA_PATH = "/parley-media/";
/** The `type` of the worker's question to the page. */
export const MEDIA_REQUEST = "parley-media-request";
/** How long the worker waits for the page to hand over a stream. */
const ANSWER_TIMEOUT_MS = 20_000;

/** The worker's question: "a stream for this message, please" (with a MessagePort to answer on). */
export interface MediaRequest {
  readonly type: typeof MEDIA_REQUEST;
  readonly id: string;
}

/** The page's answer: the verified plaintext, its type and size; or why not. */
export interface MediaAnswer {
  readonly stream?: ReadableStream<Uint8Array>;
  readonly contentType?: string;
  readonly size?: number;
  readonly error?: string;
}

interface MediaClient {
  postMessage(message: unknown, transfer: Transferable[]): void;
}
interface MediaScope {
  readonly location: Location;
  readonly clients: { get(id: string): Promise<MediaClient | undefined> };
}

/** The service worker's fetch listener for media: answers `/parley-media/…` requests, leaves the rest alone. */
export function handleMediaFetch(scope: SwScope, event: SwFetchEvent): void {
  const url = new URL(event.request.url);
  const sw = scope as unknown as MediaScope;
  if (url.origin !== sw.location.origin || !url.pathname.startsWith(MEDIA_PATH)) return;
  const id = url.pathname.slice(MEDIA_PATH.length);
  const clientId = (event as SwFetchEvent & { readonly clientId?: string }).clientId ?? "";
  event.respondWith(mediaResponse(sw, clientId, id, event.request.headers.get("range")));
}

async function mediaResponse(sw: MediaScope, clientId: string, id: string, range: string | null): Promise<Response> {
  if (!/^[0-9a-f]{1,64}$/.test(id)) return plain(404, "no such media");
  const client = clientId ? await sw.clients.get(clientId) : undefined;
  if (!client) return plain(404, "no page to stream from");
  const answer = await ask(client, id);
  if (!answer?.stream || answer.size === undefined) return plain(502, answer?.error ?? "the page did not answer");
  const size = answer.size;
  const headers = new Headers({
    "content-type": answer.contentType || "application/octet-stream",
    "accept-ranges": "bytes",
    "cache-control": "no-store",
  });
  const wanted = parseRange(range, size);
  if (wanted === "unsatisfiable") {
    await answer.stream.cancel().catch(() => undefined);
    headers.set("content-range", `bytes */${size}`);
    return new Response(null, { status: 416, headers });
  }
  if (!wanted) {
    headers.set("content-length", String(size));
    return new Response(answer.stream, { status: 200, headers });
  }
  headers.set("content-length", String(wanted.end - wanted.start + 1));
  headers.set("content-range", `bytes ${wanted.start}-${wanted.end}/${size}`);
  return new Response(answer.stream.pipeThrough(slice(wanted.start, wanted.end + 1)), { status: 206, headers });
}

/** Asks the page for the stream over a fresh MessageChannel. */
function ask(client: MediaClient, id: string): Promise<MediaAnswer | undefined> {
  const channel = new MessageChannel();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      channel.port1.close();
      resolve(undefined);
    }, ANSWER_TIMEOUT_MS);
    channel.port1.onmessage = (event: MessageEvent<MediaAnswer>) => {
      clearTimeout(timer);
      channel.port1.close();
      resolve(event.data);
    };
    const request: MediaRequest = { type: MEDIA_REQUEST, id };
    client.postMessage(request, [channel.port2]);
  });
}

/** A transform passing on bytes [from, to) of what flows through it. */
function slice(from: number, to: number): TransformStream<Uint8Array, Uint8Array> {
  let at = 0;
  return new TransformStream({
    transform(chunk, controller) {
      const start = Math.max(from - at, 0);
      const end = Math.min(to - at, chunk.length);
      at += chunk.length;
      if (end > start) controller.enqueue(chunk.subarray(start, end));
      if (at >= to) controller.terminate();
    },
  });
}

function plain(status: number, text: string): Response {
  return new Response(text, { status, headers: { "content-type": "text/plain", "cache-control": "no-store" } });
}
