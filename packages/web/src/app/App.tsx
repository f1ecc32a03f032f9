/**
 * The app: starts the session (or onboarding), then shows the shell — the conversation list
 * (`nav`) beside the open screen (`main`) on wide screens, one of them at a time on phones.
 */

import type { IndexedDbStore } from "@parley/protocol/client";
import { lazy, Suspense, useEffect, useMemo, useState } from "react";
import { CallLayer } from "../calls/CallLayer.js";
import { CallsProvider } from "../calls/context.js";
import { Attention } from "../components/Attention/Attention.js";
import { ConnectionBanner } from "../components/ConnectionBanner/ConnectionBanner.js";
import { Toasts } from "../components/Toasts/Toasts.js";
import { refreshPushSubscription } from "../push/push-subscription.js";
import { ChatList } from "../screens/ChatList/ChatList.js";
import { Conversation } from "../screens/Conversation/Conversation.js";
import { ClaimHandle } from "../screens/Onboarding/ClaimHandle.js";
import { Onboarding } from "../screens/Onboarding/Onboarding.js";
import { Unlock } from "../screens/Onboarding/Unlock.js";
import { Actions } from "../sdk/actions.js";
import { describeError, errorCode } from "../sdk/errors.js";
import { ActionsContext, StoreContext, useParley, useViewStore } from "../sdk/hooks.js";
import { isGroupId } from "../sdk/selectors.js";
import { openSession, openStore } from "../sdk/session.js";
import { ParleyStore } from "../sdk/store.js";
import styles from "./App.module.css";
import { ErrorBoundary } from "./ErrorBoundary.js";
import { markStart } from "./marks.js";
import { OpenUnread } from "./OpenUnread.js";
import { profileName } from "./profile.js";
import { useRoute } from "./router.js";
import { StartFailed, TakenOver } from "./TakenOver.js";

export function App() {
  const store = useMemo(() => new ParleyStore(), []);
  const actions = useMemo(() => new Actions(store), [store]);
  return (
    <StoreContext.Provider value={store}>
      <ActionsContext.Provider value={actions}>
        <Boot />
      </ActionsContext.Provider>
    </StoreContext.Provider>
  );
}

/** Opens the store: an account → ready; none → onboarding; another tab holds it → taken. */
function Boot() {
  const store = useViewStore();
  const phase = useParley((s) => s.phase);
  const failure = useParley((s) => s.failure);
  // An account whose first handle claim failed (and the page was reloaded since) picks one first.
  const unclaimed = useParley((s) => s.phase === "ready" && s.me !== undefined && !s.me.handle);
  const [attempt, setAttempt] = useState(0);
  const [emptyStore, setEmptyStore] = useState<IndexedDbStore>();

  useEffect(() => {
    // Once per attempt, outside React's lifecycle: StrictMode's double effects must not open the store twice.
    bootOnce(store, attempt).then(
      (empty) => empty && setEmptyStore(empty),
      () => {},
    );
  }, [store, attempt]);

  if (phase === "starting") return <p className={styles.splash}>Opening Parley…</p>;
  if (phase === "onboarding") return emptyStore ? <Onboarding store={emptyStore} /> : <p className={styles.splash}>Opening Parley…</p>;
  if (phase === "taken") return <TakenOver onTakeOver={() => setAttempt((n) => n + 1)} />;
  if (phase === "locked") return <Unlock onEmptyStore={setEmptyStore} />;
  if (phase === "failed") return <StartFailed {...(failure === undefined ? {} : { reason: failure })} />;
  if (unclaimed && store.client?.isPrimary) return <ClaimHandle />;
  return <Shell />;
}

// Rarely used screens load on demand (each its own chunk).
const NewGroup = lazy(() => import("../screens/NewGroup/NewGroup.js").then((m) => ({ default: m.NewGroup })));
const GroupInfo = lazy(() => import("../screens/GroupInfo/GroupInfo.js").then((m) => ({ default: m.GroupInfo })));
const ContactInfo = lazy(() => import("../screens/ContactInfo/ContactInfo.js").then((m) => ({ default: m.ContactInfo })));
const SafetyNumber = lazy(() => import("../screens/SafetyNumber/SafetyNumber.js").then((m) => ({ default: m.SafetyNumber })));
const Devices = lazy(() => import("../screens/Devices/Devices.js").then((m) => ({ default: m.Devices })));
const Settings = lazy(() => import("../screens/Settings/Settings.js").then((m) => ({ default: m.Settings })));

const boots = new Map<number, Promise<IndexedDbStore | undefined>>();

/** Opens the profile's store (taking it over from another tab on a retry); resolves with it when it holds no account yet. */
function bootOnce(store: ParleyStore, attempt: number): Promise<IndexedDbStore | undefined> {
  let boot = boots.get(attempt);
  if (!boot) {
    boot = (async () => {
      const idb = await openStore({ profile: profileName(), steal: attempt > 0 });
      markStart("store-open");
      const { ParleyClient } = await import("@parley/protocol/client");
      if (!(await ParleyClient.hasAccount(idb))) {
        store.setPhase("onboarding");
        return idb;
      }
      const session = await openSession(idb, store);
      session.client.on("error", (e) => {
        if (errorCode(e) === "ERR_STORE_TAKEN_OVER") store.setPhase("taken");
      });
      return undefined;
    })();
    boot.catch((error: unknown) => {
      if (errorCode(error) === "ERR_STORE_LOCKED") store.setPhase("taken");
      else if (errorCode(error) === "ERR_STORE_PASSPHRASE") store.setPhase("locked");
      else store.setPhase("failed", describeError(error));
    });
    boots.set(attempt, boot);
  }
  return boot;
}

function Shell() {
  const route = useRoute();
  const view = useViewStore();
  // After the first paint of the list: the relay connection starts now (session.ts).
  useEffect(() => {
    markStart("list-shown");
    view.shellShown();
    // A push subscription made with a relay key that has since changed no longer works: replace
    // it now rather than when Settings is next opened (nothing happens while push is off).
    const client = view.client;
    if (client) void refreshPushSubscription(client).catch(() => {});
  }, [view]);
  const inConversation = route.conversationId !== undefined;
  return (
    <CallsProvider>
      <div className={styles.shell} data-pane={inConversation || route.name !== "home" ? "main" : "nav"}>
        {/* In the flow above both panes: banners push the screen down instead of covering its header. */}
        <div className={styles.banners} id="app-banners">
          <ConnectionBanner />
          <Attention />
        </div>
        <nav className={styles.nav} aria-label="Conversations">
          <ErrorBoundary>
            <ChatList />
          </ErrorBoundary>
        </nav>
        <main className={styles.main}>
          <ErrorBoundary key={route.name + (route.conversationId ?? "")}>
            <Suspense fallback={<p className={styles.empty}>Loading…</p>}>
              <Screen route={route} />
            </Suspense>
          </ErrorBoundary>
        </main>
        <Toasts />
        <ErrorBoundary>
          <CallLayer />
        </ErrorBoundary>
      </div>
    </CallsProvider>
  );
}

/** The main pane's screen for a route. */
function Screen({ route }: { readonly route: ReturnType<typeof useRoute> }) {
  const id = route.conversationId;
  switch (route.name) {
    case "conversation":
      return id ? <Conversation conversationId={id} /> : null;
    case "info":
      return id ? isGroupId(id) ? <GroupInfo conversationId={id} /> : <ContactInfo conversationId={id} /> : null;
    case "verify":
      return id ? <SafetyNumber conversationId={id} /> : null;
    case "newGroup":
      return <NewGroup />;
    case "settings":
      return <Settings />;
    case "devices":
      return <Devices />;
    case "unread":
      return <OpenUnread />;
    case "home":
      return <p className={styles.empty}>Pick a conversation, or start a new one.</p>;
    default:
      return <p className={styles.empty}>There is nothing at this address.</p>;
  }
}
