// Placeholder (H5 owns): This account's devices: link a new one, remove one.
export function Devices() {
  return <h2>Devices</h2>;
}
