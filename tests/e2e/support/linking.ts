// Links a new device to a primary one the way an app does: request on the new device, approve
// on the primary, the user compares the codes and confirms, complete on the new device.
import { MemoryStore, ParleyClient, type ParleyClientOptions, type Store } from "@parley/protocol/client";
import { nodeTransport } from "@parley/protocol/node";
import { FAST_BACKOFF } from "./clients.js";

export async function linkDevice(
  wsUrl: string,
  primary: ParleyClient,
  options: Partial<ParleyClientOptions> & { store?: Store } = {},
): Promise<ParleyClient> {
  const store = options.store ?? new MemoryStore();
  const { request, code } = await ParleyClient.requestLink({ store });
  const pending = await primary.approveLink(request);
  // The user checks that both screens show the same code (here: types it into the primary).
  const approval = await pending.confirm(code);
  const device = await ParleyClient.completeLink(
    {
      relayUrl: wsUrl,
      transport: nodeTransport,
      backoff: FAST_BACKOFF,
      requestTimeoutMs: 5_000,
      keepStoreOpen: options.store !== undefined,
      ...options,
      store,
    },
    approval,
  );
  await device.connect();
  return device;
}
