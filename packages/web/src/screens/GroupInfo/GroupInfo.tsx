/**
 * A group's info: picture, name, description; members with their roles ("Admin", "You");
 * adding members by handle, removing, promoting and demoting (admins), renaming and editing the
 * description and picture (whoever the settings allow), the settings themselves (admins), and
 * leaving (confirmed; the last admin names a successor, as the protocol requires). Every change
 * goes through `client.groups`; failures are shown with describeError. The change's notice line
 * ("Ana removed Bo.") appears in the conversation from the SDK.
 */
import type { GroupInfo as Group, GroupMemberInfo } from "@parley/protocol/client";
import { type FormEvent, useId, useState } from "react";
import { conversationPath, navigate } from "../../app/router.js";
import { Avatar } from "../../components/Avatar/Avatar.js";
import { describeError, errorCode } from "../../sdk/errors.js";
import { useActions, useParley, useViewStore } from "../../sdk/hooks.js";
import type { Snapshot } from "../../sdk/store.js";
import { setGroupPicture } from "../../sdk/transfers.js";
import { ConfirmDialog } from "./ConfirmDialog.js";
import styles from "./Groups.module.css";

type SettingKey = keyof Group["settings"];

const SETTINGS: readonly { key: SettingKey; label: string; hint: string }[] = [
  { key: "addMembers", label: "Only admins can add members", hint: "Otherwise every member can add people." },
  { key: "editInfo", label: "Only admins can edit the group's info", hint: "Name, description and picture." },
  { key: "send", label: "Only admins can send messages", hint: "An announcement group: members read only." },
];

/** A sentence for a failed group change. */
function groupError(error: unknown): string {
  if (errorCode(error) === "ERR_GROUP_INVALID") return "The group cannot be left without an admin: choose who takes over.";
  return describeError(error);
}

function memberName(s: Snapshot, m: GroupMemberInfo): { name: string; handle?: string } {
  if (m.self) return { name: "You" };
  const contact = m.contactId ? s.contactsById[m.contactId] : undefined;
  const name = contact?.displayName || m.displayName || (contact?.handle ? `@${contact.handle}` : `user ${m.userId.slice(0, 8)}`);
  return { name, ...(contact?.handle ? { handle: contact.handle } : {}) };
}

export function GroupInfo({ conversationId }: { readonly conversationId: string }) {
  const group = useParley((s) => s.groupsById[conversationId]);
  if (!group) {
    return (
      <section className={styles.screen} aria-labelledby="group-info-title">
        <Header conversationId={conversationId} />
        <p className={styles.body}>This group is not on this device.</p>
      </section>
    );
  }
  return <GroupInfoView group={group} />;
}

function Header({ conversationId }: { readonly conversationId: string }) {
  return (
    <header className={styles.header}>
      <button
        type="button"
        className={styles.back}
        onClick={() => navigate(conversationPath(conversationId))}
        aria-label="Back to the conversation"
      >
        ←
      </button>
      <h2 id="group-info-title" className={styles.title}>
        Group info
      </h2>
    </header>
  );
}

function GroupInfoView({ group }: { readonly group: Group }) {
  const actions = useActions();
  const store = useViewStore();
  const ids = { name: useId(), description: useId(), handle: useId(), picture: useId(), successor: useId(), settings: useId() };
  const [error, setError] = useState<string>();
  const [status, setStatus] = useState<string>();
  const [busy, setBusy] = useState<string>();
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(group.name);
  const [description, setDescription] = useState(group.description);
  const [handle, setHandle] = useState("");
  const [confirm, setConfirm] = useState<{ kind: "leave" } | { kind: "remove"; member: GroupMemberInfo; name: string }>();
  const others = group.members.filter((m) => !m.self);
  const admins = group.members.filter((m) => m.role === "admin");
  const lastAdmin = group.isAdmin && admins.length === 1 && others.length > 0;
  const [successor, setSuccessor] = useState<string>();
  const names = useParley((s) => group.members.map((m) => memberName(s, m).name).join("\n"));
  const handles = useParley((s) => group.members.map((m) => memberName(s, m).handle ?? "").join("\n"));
  const nameOf = (i: number) => names.split("\n")[i] ?? "";
  const handleOf = (i: number) => handles.split("\n")[i] || undefined;

  // You first, then admins, then everyone else by name.
  const ordered = group.members
    .map((m, i) => ({ m, i }))
    .sort(
      (a, b) =>
        Number(b.m.self) - Number(a.m.self) ||
        Number(b.m.role === "admin") - Number(a.m.role === "admin") ||
        nameOf(a.i).localeCompare(nameOf(b.i)),
    );

  const canEdit = group.active && (group.isAdmin || group.settings.editInfo === "all");
  const canAdd = group.active && (group.isAdmin || group.settings.addMembers === "all");

  /** Runs a change; `done` is announced on success. */
  const run = async (what: string, change: () => Promise<unknown>, done?: string): Promise<boolean> => {
    setError(undefined);
    setStatus(undefined);
    setBusy(what);
    try {
      await change();
      if (done) setStatus(done);
      return true;
    } catch (e) {
      setError(groupError(e));
      return false;
    } finally {
      setBusy(undefined);
    }
  };

  const saveInfo = async (event: FormEvent) => {
    event.preventDefault();
    const ok = await run(
      "info",
      async () => {
        if (name.trim() && name.trim() !== group.name) await actions.groups.rename(group.id, name.trim());
        if (description.trim() !== group.description) await actions.groups.setDescription(group.id, description.trim());
      },
      "Saved.",
    );
    if (ok) setEditing(false);
  };

  const addMember = async (event: FormEvent) => {
    event.preventDefault();
    const wanted = handle.replace(/^@/, "").trim();
    if (!wanted) return;
    const ok = await run(
      "add",
      async () => {
        const contact = await actions.findContact(wanted);
        await actions.groups.add(group.id, [contact.id]);
      },
      `Added @${wanted}.`,
    );
    if (ok) setHandle("");
  };

  const leave = async () => {
    const chosen = lastAdmin ? (successor ?? others[0]?.userId) : undefined;
    const ok = await run("leave", () => actions.groups.leave(group.id, chosen ? { successor: chosen } : {}), "You left the group.");
    if (ok) setConfirm(undefined);
  };

  return (
    <section className={styles.screen} aria-labelledby="group-info-title">
      <Header conversationId={group.id} />
      <div className={styles.body}>
        <div className={styles.hero}>
          <Avatar name={group.name || "Group"} {...(group.avatar ? { pointer: group.avatar } : {})} size="lg" />
          <div className={styles.heroText}>
            <h3 className={styles.groupName}>{group.name || "Unnamed group"}</h3>
            {group.description && <p className={styles.description}>{group.description}</p>}
            <p className={styles.hint}>
              {group.members.length} {group.members.length === 1 ? "member" : "members"}
              {group.settings.send === "admins" ? " · only admins can send" : ""}
            </p>
            {canEdit && (
              <div className={styles.pictureLine}>
                <label className={styles.fileLabel} htmlFor={ids.picture}>
                  {group.avatar ? "Change picture" : "Add a picture"}
                </label>
                <input
                  id={ids.picture}
                  className={styles.fileInput}
                  type="file"
                  accept="image/*"
                  disabled={busy !== undefined}
                  onChange={(e) => {
                    const file = e.currentTarget.files?.[0];
                    e.currentTarget.value = "";
                    if (file) void run("picture", () => setGroupPicture(store, group.id, file), "Picture changed.");
                  }}
                />
                {group.avatar && (
                  <button
                    type="button"
                    className={styles.linkButton}
                    onClick={() => void run("picture", () => actions.groups.setAvatar(group.id, undefined), "Picture removed.")}
                  >
                    Remove picture
                  </button>
                )}
              </div>
            )}
          </div>
        </div>

        {!group.active && (
          <p className={styles.notice} role="status">
            You are no longer a member of this group. You can still read its messages.
          </p>
        )}
        {error && (
          <p className={styles.error} role="alert">
            {error}
          </p>
        )}
        <p className={styles.status} role="status">
          {status}
        </p>

        {canEdit && !editing && (
          <div className={styles.rowActions}>
            <button
              type="button"
              className={styles.secondary}
              onClick={() => {
                setName(group.name);
                setDescription(group.description);
                setEditing(true);
              }}
            >
              Edit name and description
            </button>
          </div>
        )}
        {editing && (
          <form className={styles.editForm} onSubmit={saveInfo} aria-label="Edit group info">
            <label className={styles.label} htmlFor={ids.name}>
              Group name
            </label>
            <input id={ids.name} className={styles.input} value={name} maxLength={100} onChange={(e) => setName(e.target.value)} required />
            <label className={styles.label} htmlFor={ids.description}>
              Description
            </label>
            <textarea
              id={ids.description}
              className={styles.input}
              rows={3}
              value={description}
              onChange={(e) => setDescription(e.target.value)}
            />
            <div className={styles.actions}>
              <button type="button" className={styles.secondary} onClick={() => setEditing(false)}>
                Cancel
              </button>
              <button type="submit" className={styles.primary} disabled={busy === "info"}>
                Save
              </button>
            </div>
          </form>
        )}

        <h3 className={styles.sectionTitle} id="members-title">
          Members
        </h3>
        {canAdd && (
          <form className={styles.inline} onSubmit={addMember} aria-label="Add a member">
            <label className="visually-hidden" htmlFor={ids.handle}>
              Add member by handle
            </label>
            <input
              id={ids.handle}
              className={styles.input}
              placeholder="Add member: @handle"
              autoComplete="off"
              value={handle}
              onChange={(e) => setHandle(e.target.value)}
            />
            <button type="submit" className={styles.secondary} disabled={busy === "add"}>
              Add
            </button>
          </form>
        )}
        <ul className={styles.members} aria-labelledby="members-title">
          {ordered.map(({ m, i }) => {
            const label = nameOf(i);
            const memberHandle = handleOf(i);
            return (
              <li key={m.userId} className={styles.member}>
                <Avatar name={m.self ? (store.getSnapshot().me?.displayName ?? "You") : label} size="sm" />
                <span className={styles.memberName}>
                  {label}
                  {memberHandle && <span className={styles.handle}> @{memberHandle}</span>}
                </span>
                {m.role === "admin" && <span className={styles.badge}>Admin</span>}
                {group.isAdmin && group.active && !m.self && (
                  <span className={styles.memberActions}>
                    <button
                      type="button"
                      className={styles.linkButton}
                      disabled={busy !== undefined}
                      onClick={() =>
                        void run(
                          "role",
                          () =>
                            m.role === "admin" ? actions.groups.demote(group.id, m.userId) : actions.groups.promote(group.id, m.userId),
                          m.role === "admin" ? `${label} is no longer an admin.` : `${label} is now an admin.`,
                        )
                      }
                      aria-label={m.role === "admin" ? `Dismiss ${label} as admin` : `Make ${label} an admin`}
                    >
                      {m.role === "admin" ? "Dismiss as admin" : "Make admin"}
                    </button>
                    <button
                      type="button"
                      className={styles.linkDanger}
                      disabled={busy !== undefined}
                      onClick={() => setConfirm({ kind: "remove", member: m, name: label })}
                      aria-label={`Remove ${label}`}
                    >
                      Remove
                    </button>
                  </span>
                )}
              </li>
            );
          })}
        </ul>

        <h3 className={styles.sectionTitle}>Settings</h3>
        {group.isAdmin && group.active ? (
          <fieldset className={styles.settings} disabled={busy !== undefined}>
            <legend className="visually-hidden">Group settings</legend>
            {SETTINGS.map((setting) => (
              <label key={setting.key} className={styles.toggle}>
                <input
                  type="checkbox"
                  aria-describedby={`${ids.settings}-${setting.key}`}
                  checked={group.settings[setting.key] === "admins"}
                  onChange={(e) =>
                    void run(
                      "settings",
                      () => actions.groups.setSettings(group.id, { [setting.key]: e.currentTarget.checked ? "admins" : "all" }),
                      "Settings saved.",
                    )
                  }
                />
                <span>
                  {setting.label}
                  <span className={styles.toggleHint} id={`${ids.settings}-${setting.key}`} aria-hidden="true">
                    {setting.hint}
                  </span>
                </span>
              </label>
            ))}
          </fieldset>
        ) : (
          <ul className={styles.settingsList}>
            <li>{group.settings.addMembers === "admins" ? "Only admins can add members." : "Every member can add members."}</li>
            <li>
              {group.settings.editInfo === "admins" ? "Only admins can edit the group's info." : "Every member can edit the group's info."}
            </li>
            <li>{group.settings.send === "admins" ? "Only admins can send messages." : "Every member can send messages."}</li>
          </ul>
        )}

        {group.active && (
          <div className={styles.leaveRow}>
            <button type="button" className={styles.danger} onClick={() => setConfirm({ kind: "leave" })}>
              Leave group
            </button>
          </div>
        )}
      </div>

      {confirm?.kind === "remove" && (
        <ConfirmDialog
          title={`Remove ${confirm.name}?`}
          confirmLabel="Remove"
          busy={busy === "remove"}
          onClose={() => setConfirm(undefined)}
          onConfirm={() =>
            void run("remove", () => actions.groups.remove(group.id, [confirm.member.userId]), `${confirm.name} was removed.`).then(() =>
              setConfirm(undefined),
            )
          }
        >
          <p>They will no longer receive this group's messages.</p>
        </ConfirmDialog>
      )}
      {confirm?.kind === "leave" && (
        <ConfirmDialog
          title="Leave this group?"
          confirmLabel="Leave"
          busy={busy === "leave"}
          onClose={() => setConfirm(undefined)}
          onConfirm={() => void leave()}
        >
          <p>You will stop receiving its messages. The conversation stays on this device.</p>
          {lastAdmin && (
            <>
              <label className={styles.label} htmlFor={ids.successor}>
                You are the only admin. Choose the new admin
              </label>
              <select
                id={ids.successor}
                className={styles.input}
                value={successor ?? others[0]?.userId}
                onChange={(e) => setSuccessor(e.target.value)}
              >
                {others.map((m) => (
                  <option key={m.userId} value={m.userId}>
                    {nameOf(group.members.indexOf(m))}
                  </option>
                ))}
              </select>
            </>
          )}
          {error && (
            <p className={styles.error} role="alert">
              {error}
            </p>
          )}
        </ConfirmDialog>
      )}
    </section>
  );
}
