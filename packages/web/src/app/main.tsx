// Entry: one view store, the app, and React 19 error hooks that log without message content.
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "../styles/tokens.css";
import "../styles/global.css";
import { cryptoProvider, openStoreEarly } from "../sdk/session.js";
import { registerServiceWorker } from "../sw/register.js";
import { App } from "./App.js";
import { logUiError } from "./ErrorBoundary.js";
import { markStart } from "./marks.js";
import { applyStoredTheme, profileName } from "./profile.js";

markStart("main");
// The two slowest steps of a start, begun before React renders and side by side: opening the
// encrypted store (IndexedDB, Web Lock, key record) and loading the crypto (libsodium's wasm).
openStoreEarly(profileName());
void cryptoProvider().catch(() => {});
applyStoredTheme();
const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root");
createRoot(root, {
  onCaughtError: (error) => logUiError("caught", error),
  onUncaughtError: (error) => logUiError("uncaught", error),
}).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
registerServiceWorker();
