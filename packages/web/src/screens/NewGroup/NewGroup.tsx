// Placeholder (H4 owns): Create a group: name, avatar, members.
export function NewGroup() {
  return <h2>NewGroup</h2>;
}
