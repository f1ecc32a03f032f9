import type { ParleyClient } from "@parley/protocol/client";
import { useEffect, useState } from "react";
import { hasTurnServer, relayCallsEnabled, setRelayCalls } from "../../calls/ice-servers.js";
import styles from "./Settings.module.css";

/**
 * "Relay calls through the server": relay-only ICE for this browser's calls. When it is on and
 * the relay has no TURN server, it says so (calls would not connect).
 */
export function RelayCallsToggle({ client }: { readonly client: ParleyClient | undefined }) {
  const [on, setOn] = useState(relayCallsEnabled);
  const [noTurn, setNoTurn] = useState(false);
  useEffect(() => {
    setNoTurn(false);
    if (!on || !client) return;
    let live = true;
    client
      .iceServers()
      .then((servers) => {
        if (live) setNoTurn(!hasTurnServer(servers));
      })
      // Offline: nothing to tell yet; a call says so if it cannot use the relay.
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [on, client]);
  return (
    <>
      <div className={styles.toggle}>
        <input
          id="privacy-relayCalls"
          type="checkbox"
          checked={on}
          aria-describedby="privacy-relayCalls-hint"
          onChange={(e) => {
            setRelayCalls(e.target.checked);
            setOn(e.target.checked);
          }}
        />
        <label htmlFor="privacy-relayCalls">Relay calls through the server</label>
        <small id="privacy-relayCalls-hint" className={styles.hint}>
          Hides your IP address from the other person; may lower quality. Applies in this browser only.
        </small>
      </div>
      {noTurn && (
        <p role="alert" className={styles.error}>
          This server has no relay for calls, so calls from this browser cannot connect while this is on.
        </p>
      )}
    </>
  );
}
