// Which local profile this tab opens: `?profile=NAME` (kept as a non-secret UI pref), else "default".
const KEY = "parley.profile";

export function profileName(): string {
  const fromUrl = new URLSearchParams(window.location.search).get("profile");
  if (fromUrl && /^[a-z0-9_-]{1,32}$/i.test(fromUrl)) {
    localStorage.setItem(KEY, fromUrl);
    return fromUrl;
  }
  return localStorage.getItem(KEY) ?? "default";
}
