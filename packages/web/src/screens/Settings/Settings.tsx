// Placeholder (H6 owns): Settings: profile, theme, privacy, notifications, backup.
export function Settings() {
  return <h2>Settings</h2>;
}
