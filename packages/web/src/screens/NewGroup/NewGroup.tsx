/**
 * Create a group: a name, an optional picture, and members added by handle (each looked up at
 * the relay and shown as a removable chip). Create makes the group (us as its admin), sets the
 * picture if one was chosen, and opens the group's conversation.
 */
import { toHex } from "@parley/protocol";
import type { Contact } from "@parley/protocol/client";
import { type FormEvent, useEffect, useId, useState } from "react";
import { conversationPath, navigate } from "../../app/router.js";
import { Avatar } from "../../components/Avatar/Avatar.js";
import { describeError } from "../../sdk/errors.js";
import { useActions, useViewStore } from "../../sdk/hooks.js";
import { setGroupPicture } from "../../sdk/transfers.js";
import styles from "../GroupInfo/Groups.module.css";

export function NewGroup() {
  const actions = useActions();
  const store = useViewStore();
  const ids = { name: useId(), handle: useId(), picture: useId(), description: useId() };
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [handle, setHandle] = useState("");
  const [members, setMembers] = useState<Contact[]>([]);
  const [picture, setPicture] = useState<File>();
  const [pictureUrl, setPictureUrl] = useState<string>();
  const [lookupError, setLookupError] = useState<string>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState<"lookup" | "create">();

  useEffect(() => {
    if (!picture) return;
    const url = URL.createObjectURL(picture);
    setPictureUrl(url);
    return () => {
      URL.revokeObjectURL(url);
      setPictureUrl(undefined);
    };
  }, [picture]);

  const addMember = async () => {
    const wanted = handle.replace(/^@/, "").trim();
    if (!wanted) return;
    setLookupError(undefined);
    setBusy("lookup");
    try {
      const contact = await actions.findContact(wanted);
      if (contact.userId && store.getSnapshot().me?.userId === toHex(contact.userId))
        setLookupError("That is you: you are in the group already.");
      else {
        setMembers((list) => (list.some((c) => c.id === contact.id) ? list : [...list, contact]));
        setHandle("");
      }
    } catch (e) {
      setLookupError(describeError(e));
    } finally {
      setBusy(undefined);
    }
  };

  const create = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    if (!name.trim()) {
      setError("Give the group a name.");
      return;
    }
    setError(undefined);
    setBusy("create");
    try {
      const info = await actions.groups.create({
        name: name.trim(),
        ...(description.trim() ? { description: description.trim() } : {}),
        members: members.map((c) => c.id),
      });
      if (picture)
        await setGroupPicture(store, info.id, picture).catch((e: unknown) =>
          store.toast("error", `The group was created, but its picture could not be set. ${describeError(e)}`),
        );
      navigate(conversationPath(info.id));
    } catch (e) {
      setError(describeError(e));
      setBusy(undefined);
    }
  };

  return (
    <section className={styles.screen} aria-labelledby="new-group-title">
      <header className={styles.header}>
        <button type="button" className={styles.back} onClick={() => history.back()} aria-label="Back">
          ←
        </button>
        <h2 id="new-group-title" className={styles.title}>
          New group
        </h2>
      </header>
      <form className={styles.body} onSubmit={create} aria-labelledby="new-group-title" noValidate>
        <div className={styles.pictureRow}>
          <Avatar name={name || "Group"} {...(pictureUrl ? { src: pictureUrl } : {})} size="lg" />
          <div className={styles.pictureActions}>
            <label className={styles.fileLabel} htmlFor={ids.picture}>
              {picture ? "Change picture" : "Add a picture"}
            </label>
            <input
              id={ids.picture}
              className={styles.fileInput}
              type="file"
              accept="image/*"
              onChange={(e) => {
                const file = e.currentTarget.files?.[0];
                if (file) setPicture(file);
              }}
            />
            {picture && (
              <button type="button" className={styles.linkButton} onClick={() => setPicture(undefined)}>
                Remove picture
              </button>
            )}
          </div>
        </div>

        <label className={styles.label} htmlFor={ids.name}>
          Group name
        </label>
        <input
          id={ids.name}
          className={styles.input}
          value={name}
          maxLength={100}
          onChange={(e) => setName(e.target.value)}
          required
          aria-invalid={error === "Give the group a name." || undefined}
        />

        <label className={styles.label} htmlFor={ids.description}>
          Description <span className={styles.optional}>(optional)</span>
        </label>
        <textarea
          id={ids.description}
          className={styles.input}
          rows={2}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
        />

        <label className={styles.label} htmlFor={ids.handle}>
          Add member by handle
        </label>
        <div className={styles.inline}>
          <input
            id={ids.handle}
            className={styles.input}
            value={handle}
            placeholder="@handle"
            autoComplete="off"
            onChange={(e) => setHandle(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter") {
                e.preventDefault();
                void addMember();
              }
            }}
            aria-describedby={lookupError ? `${ids.handle}-error` : undefined}
          />
          <button type="button" className={styles.secondary} onClick={() => void addMember()} disabled={busy === "lookup"}>
            {busy === "lookup" ? "Looking up…" : "Add"}
          </button>
        </div>
        {lookupError && (
          <p id={`${ids.handle}-error`} className={styles.error} role="alert">
            {lookupError}
          </p>
        )}
        <ul className={styles.chips} aria-label="Members to add">
          {members.map((c) => {
            const label = c.displayName || `@${c.handle}`;
            return (
              <li key={c.id} className={styles.chip}>
                <Avatar name={label} size="sm" />
                <span>
                  {label}
                  {c.handle && c.displayName ? <span className={styles.handle}> @{c.handle}</span> : null}
                </span>
                <button
                  type="button"
                  className={styles.chipRemove}
                  onClick={() => setMembers((list) => list.filter((m) => m.id !== c.id))}
                  aria-label={`Remove ${label}`}
                >
                  ×
                </button>
              </li>
            );
          })}
        </ul>
        <p className={styles.hint}>
          {members.length === 0 ? "No members yet: you can add people later too." : `${members.length + 1} people including you.`}
        </p>

        {error && (
          <p className={styles.error} role="alert">
            {error}
          </p>
        )}
        <div className={styles.actions}>
          <button type="submit" className={styles.primary} disabled={busy === "create"}>
            {busy === "create" ? "Creating…" : "Create group"}
          </button>
        </div>
      </form>
    </section>
  );
}
