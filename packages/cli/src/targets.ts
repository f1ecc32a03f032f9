/**
 * How a command names a conversation: `@handle` (or a bare handle), a contact id as the JSON
 * output prints it, or a group by name or id. A handle not yet among the contacts is looked up
 * on the relay, which needs a connected client.
 */

import type { Contact, GroupInfo, ParleyClient } from "@parley/protocol/client";
import { CliError, ExitCode } from "./errors.js";

const HEX_USER_ID = /^[0-9a-f]{32}$/;

/** Finds (or, for a new handle, looks up on the relay) the contact `target` names. */
export async function resolveContact(client: ParleyClient, target: string): Promise<Contact> {
  const contacts = await client.contacts();
  const byId = contacts.find((c) => c.id === target);
  if (byId) return byId;
  if (HEX_USER_ID.test(target)) {
    const byUser = contacts.find((c) => Buffer.from(c.userId).toString("hex") === target);
    if (byUser) return byUser;
    throw new CliError(ExitCode.NotFound, `no contact with the id ${target}`);
  }
  const handle = target.replace(/^@/, "").toLowerCase();
  const known = contacts.find((c) => c.handle === handle);
  if (known) return known;
  try {
    return await client.findContact(handle);
  } catch (error) {
    const reason = (error as { reason?: unknown }).reason;
    if (reason === "NOT_FOUND" || reason === "HANDLE_INVALID")
      throw new CliError(ExitCode.NotFound, `nobody has the handle @${handle} on this relay`);
    throw error;
  }
}

/** Finds the group `name` names: its conversation id, its group id, or its name (exact, then ignoring case). */
export async function resolveGroup(client: ParleyClient, name: string): Promise<GroupInfo> {
  const groups = await client.groups.list();
  const byId = groups.find((g) => g.id === name || g.groupId === name);
  if (byId) return byId;
  let matches = groups.filter((g) => g.name === name);
  if (matches.length === 0) matches = groups.filter((g) => g.name.toLowerCase() === name.toLowerCase());
  const active = matches.filter((g) => g.active);
  if (active.length > 1 || (active.length === 0 && matches.length > 1))
    throw new CliError(ExitCode.Usage, `several groups are named "${name}": use its id from \`parley groups\``);
  const group = active[0] ?? matches[0];
  if (!group) throw new CliError(ExitCode.NotFound, `no group named "${name}"`);
  return group;
}
