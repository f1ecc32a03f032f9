// Entry: one view store, the app, and React 19 error hooks that log without message content.
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "../styles/tokens.css";
import "../styles/global.css";
import { registerServiceWorker } from "../sw/register.js";
import { App } from "./App.js";
import { logUiError } from "./ErrorBoundary.js";
import { applyStoredTheme } from "./profile.js";

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
