/**
 * `client.groups`: creating groups and changing their membership, roles, info and settings,
 * and reading them. Messages in a group use the client's conversation methods with the group's
 * conversation id (`group:<groupId hex>`, `GroupInfo.id`).
 */

import { type AttachmentPointer, encodeAttachmentPointer } from "../../attachment/pointer.js";
import { bytesToHex as hex, hexToBytes } from "../../crypto/bytes.js";
import { ErrorCode, ParleyError } from "../../errors.js";
import type { FileSource, SendFileOptions } from "../attachments.js";
import type { ClientContext } from "../context.js";
import type { Contact } from "../records.js";
import { decodeGroupState, type GroupAction, type GroupSettings, isGroupAdmin } from "./core.js";
import { groupIdOf } from "./ids.js";
import { type GroupInfo, type GroupMemberInfo, groupInfo } from "./info.js";
import { changeGroup, createGroupWith } from "./membership.js";
import { listGroups, loadGroup } from "./records.js";

/** What a new group starts with. */
export interface CreateGroupOptions {
  readonly name: string;
  readonly description?: string;
  /** Contact ids of the other members. */
  readonly members: readonly string[];
  readonly settings?: Partial<GroupSettings>;
  /** An encoded attachment pointer for the group's picture. */
  readonly avatar?: Uint8Array;
}

export class GroupsApi {
  constructor(
    private readonly ctx: ClientContext,
    private readonly assertOpen: () => void,
    private readonly upload: (source: FileSource, options: Omit<SendFileOptions, "caption">) => Promise<AttachmentPointer>,
  ) {}

  /** Creates a group with us as its admin; the members receive it. Resolves with its info (`id` is the conversation id). */
  async create(options: CreateGroupOptions): Promise<GroupInfo> {
    this.assertOpen();
    const contacts = await Promise.all(options.members.map((id) => this.requireContact(id)));
    const state = await createGroupWith(this.ctx, {
      name: options.name,
      ...(options.description !== undefined ? { description: options.description } : {}),
      ...(options.avatar ? { avatar: options.avatar } : {}),
      ...(options.settings ? { settings: options.settings } : {}),
      members: contacts
        .filter((c) => hex(c.userId) !== this.ctx.me)
        .map((c) => ({ userId: c.userId, ...(c.deliveryToken ? { deliveryToken: c.deliveryToken } : {}) })),
    });
    return this.info(state.groupId);
  }

  /** Adds contacts (as members, or admins with `role: "admin"`). */
  async add(groupId: string, contactIds: readonly string[], options: { role?: "admin" | "member" } = {}): Promise<GroupInfo> {
    const contacts = await Promise.all(contactIds.map((id) => this.requireContact(id)));
    return this.change(
      groupId,
      contacts.map((c) => ({
        type: "add" as const,
        userId: c.userId,
        ...(options.role ? { role: options.role } : {}),
        ...(c.deliveryToken ? { deliveryToken: c.deliveryToken } : {}),
      })),
    );
  }

  /** Removes members (user ids hex, or contact ids). */
  async remove(groupId: string, members: readonly string[]): Promise<GroupInfo> {
    const ids = await Promise.all(members.map((m) => this.userIdOf(m)));
    return this.change(
      groupId,
      ids.map((userId) => ({ type: "remove" as const, userId })),
    );
  }

  /** Leaves the group. The last admin names a `successor` (user id hex or contact id), promoted in the same change. */
  async leave(groupId: string, options: { successor?: string } = {}): Promise<GroupInfo> {
    const actions: GroupAction[] = [];
    if (options.successor) actions.push({ type: "promote", userId: await this.userIdOf(options.successor) });
    actions.push({ type: "leave" });
    return this.change(groupId, actions);
  }

  async promote(groupId: string, member: string): Promise<GroupInfo> {
    return this.change(groupId, [{ type: "promote", userId: await this.userIdOf(member) }]);
  }

  async demote(groupId: string, member: string): Promise<GroupInfo> {
    return this.change(groupId, [{ type: "demote", userId: await this.userIdOf(member) }]);
  }

  async rename(groupId: string, name: string): Promise<GroupInfo> {
    return this.change(groupId, [{ type: "setName", name }]);
  }

  async setDescription(groupId: string, description: string): Promise<GroupInfo> {
    return this.change(groupId, [{ type: "setDescription", description }]);
  }

  /**
   * Uploads `picture` (encrypted like any attachment; scale it first: members download it whole)
   * and makes it the group's picture, without posting it in the conversation. The caller must be
   * allowed to edit the group's info.
   */
  async setPicture(groupId: string, picture: FileSource, options: Omit<SendFileOptions, "caption" | "preview"> = {}): Promise<GroupInfo> {
    this.assertOpen();
    const record = await loadGroup(this.ctx, groupIdOf(groupId));
    if (!record?.active) throw new ParleyError(ErrorCode.NotGroupMember, "you are not a member of this group");
    const state = decodeGroupState(record.state);
    // Checked before uploading anything (the change checks it again).
    if (state.settings.editInfo === "admins" && !isGroupAdmin(state, this.ctx.local.userId)) {
      throw new ParleyError(ErrorCode.GroupPermission, "only admins may change this group's picture");
    }
    const pointer = await this.upload(picture, { ...options, preview: false });
    return this.setAvatar(groupId, encodeAttachmentPointer(pointer));
  }

  /** Sets (or with undefined, removes) the group's picture: an encoded attachment pointer. */
  async setAvatar(groupId: string, avatar: Uint8Array | undefined): Promise<GroupInfo> {
    return this.change(groupId, [{ type: "setAvatar", ...(avatar ? { avatar } : {}) }]);
  }

  /** Changes who may add members, edit the info, and send (`send: "admins"`: an announcement group). */
  async setSettings(groupId: string, settings: Partial<GroupSettings>): Promise<GroupInfo> {
    const current = await this.info(groupIdOf(groupId));
    return this.change(groupId, [{ type: "setSettings", settings: { ...current.settings, ...settings } }]);
  }

  /** Every group this device knows, including ones we left. */
  async list(): Promise<GroupInfo[]> {
    this.assertOpen();
    return Promise.all((await listGroups(this.ctx)).map((r) => groupInfo(this.ctx, r)));
  }

  /** One group, or undefined. */
  async get(groupId: string): Promise<GroupInfo | undefined> {
    this.assertOpen();
    const record = await loadGroup(this.ctx, groupIdOf(groupId));
    return record ? groupInfo(this.ctx, record) : undefined;
  }

  /** A group's members with their roles. */
  async members(groupId: string): Promise<readonly GroupMemberInfo[]> {
    return (await this.info(groupIdOf(groupId))).members;
  }

  /** True when we are an admin of the group. */
  async isAdmin(groupId: string): Promise<boolean> {
    const record = await loadGroup(this.ctx, groupIdOf(groupId));
    return record?.active === true && isGroupAdmin(decodeGroupState(record.state), this.ctx.local.userId);
  }

  private async change(groupId: string, actions: readonly GroupAction[]): Promise<GroupInfo> {
    this.assertOpen();
    const state = await changeGroup(this.ctx, groupIdOf(groupId), actions);
    return this.info(state.groupId);
  }

  private async info(groupId: Uint8Array): Promise<GroupInfo> {
    const record = await loadGroup(this.ctx, groupId);
    if (!record) throw new ParleyError(ErrorCode.NotGroupMember, "no such group");
    return groupInfo(this.ctx, record);
  }

  private async requireContact(contactId: string): Promise<Contact> {
    const contact = await this.ctx.contact(contactId);
    if (!contact) throw new ParleyError(ErrorCode.UnknownContact, "no such contact");
    return contact;
  }

  /** A member named by user id (32 hex digits) or by contact id. */
  private async userIdOf(member: string): Promise<Uint8Array> {
    if (/^[0-9a-f]{32}$/.test(member)) return hexToBytes(member);
    return (await this.requireContact(member)).userId;
  }
}
