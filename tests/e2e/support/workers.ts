/**
 * How many test files of the end-to-end group run at once: the Node end-to-end tests (e2e) and
 * the browser tests (e2e-web) share one group and therefore one count (vitest refuses two counts
 * in one group). Two by default: each file has its own relays on free ports, its own data folders
 * and browsers, and most of a file's time is spent waiting on them, so two at once on two cores
 * roughly halve the wall time. PARLEY_E2E_WORKERS=1 (or the older PARLEY_WEB_TEST_WORKERS=1)
 * runs them one after another.
 */
const requested = Number(process.env.PARLEY_E2E_WORKERS ?? process.env.PARLEY_WEB_TEST_WORKERS ?? 2);

export const E2E_WORKERS = Number.isInteger(requested) && requested > 0 ? requested : 2;

/** The group both projects run in: after the unit tests' group (0). */
export const E2E_GROUP = 1;
