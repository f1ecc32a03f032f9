/**
 * A person's or group's avatar: the group's picture (an encoded attachment pointer, downloaded
 * and verified through the SDK, shown from a blob URL revoked on unmount) or an image URL, else
 * initials on a colour derived from the name. Decorative by default (the name is next to it).
 */
import { toHex } from "@parley/protocol";
import { type CSSProperties, useEffect, useRef, useState } from "react";
import { useViewStore } from "../../sdk/hooks.js";
import { avatarBlob } from "../../sdk/transfers.js";
import styles from "./Avatar.module.css";

export interface AvatarProps {
  readonly name: string;
  /** A group's picture: the encoded attachment pointer from GroupInfo.avatar. */
  readonly pointer?: Uint8Array;
  /** An image URL (e.g. an object URL of a picture about to be sent). */
  readonly src?: string;
  readonly size?: "sm" | "md" | "lg";
  /** Give the avatar an accessible name (when it stands alone); otherwise it is hidden from assistive technology. */
  readonly label?: string;
}

/** One or two initials of a name. */
export function initials(name: string): string {
  const words = name.replace(/^@/, "").trim().split(/\s+/).filter(Boolean);
  const first = [...(words[0] ?? "?")][0] ?? "?";
  const second = words.length > 1 ? ([...(words[words.length - 1] ?? "")][0] ?? "") : "";
  return (first + second).toUpperCase();
}

/** A hue (0–359) that stays the same for a name. */
export function hueOf(name: string): number {
  let h = 0;
  for (const ch of name) h = (h * 31 + (ch.codePointAt(0) ?? 0)) % 360;
  return h;
}

export function Avatar({ name, pointer, src, size = "md", label }: AvatarProps) {
  const store = useViewStore();
  const [url, setUrl] = useState<string>();
  // The pointer's bytes, not its object identity (every group event brings a new array), decide a download.
  const key = pointer ? toHex(pointer) : undefined;
  const pointerRef = useRef(pointer);
  pointerRef.current = pointer;

  useEffect(() => {
    const pointer = pointerRef.current;
    if (!key || !pointer) return;
    let live = true;
    let objectUrl: string | undefined;
    avatarBlob(store, pointer).then(
      (blob) => {
        if (!live) return;
        objectUrl = URL.createObjectURL(blob);
        setUrl(objectUrl);
      },
      () => {},
    );
    return () => {
      live = false;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
      setUrl(undefined);
    };
  }, [store, key]);

  const image = src ?? url;
  const a11y = label ? { role: "img", "aria-label": label } : { "aria-hidden": true };
  return (
    <span className={`${styles.avatar} ${styles[size]}`} style={{ "--hue": String(hueOf(name)) } as CSSProperties} {...a11y}>
      {image ? <img className={styles.image} src={image} alt="" /> : <span className={styles.initials}>{initials(name)}</span>}
    </span>
  );
}
