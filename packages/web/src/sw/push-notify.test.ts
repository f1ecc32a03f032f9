// The service worker's push notification and click handling, as pure functions.
import { describe, expect, test } from "vitest";
import {
  type AppWindow,
  clickTarget,
  OPEN_MESSAGE_TYPE,
  openFromNotification,
  PUSH_NOTIFICATION_TAG,
  pushNotification,
  UNREAD_PATH,
} from "./push-notify.js";
import { openMessagePath } from "./register.js";

const ORIGIN = "http://127.0.0.1:4000";

function fakeWindow(url: string) {
  const log: unknown[] = [];
  const w: AppWindow = {
    url,
    focus: async () => log.push("focus"),
    postMessage: (m) => log.push(m),
  };
  return { w, log };
}

describe("pushNotification", () => {
  test("is content-free and always uses the one tag", () => {
    const n = pushNotification();
    expect(n.title).toBe("New message");
    expect(n.options.tag).toBe(PUSH_NOTIFICATION_TAG);
    expect(n.options.body).toBe("Open Parley to read it.");
    expect(pushNotification()).toEqual(n);
  });

  test("a click on it opens the newest unread conversation (the /unread route), in an open tab or a new one", async () => {
    const n = pushNotification();
    expect(clickTarget(n.options.data)).toBe(UNREAD_PATH);
    const app = fakeWindow(`${ORIGIN}/settings`);
    await openFromNotification({ matchAll: async () => [app.w], openWindow: async () => {} }, ORIGIN, n.options.data);
    expect(app.log).toEqual(["focus", { type: OPEN_MESSAGE_TYPE, path: UNREAD_PATH }]);
    expect(openMessagePath(app.log[1])).toBe(UNREAD_PATH);
    const opened: string[] = [];
    await openFromNotification({ matchAll: async () => [], openWindow: async (u) => opened.push(u) }, ORIGIN, n.options.data);
    expect(opened).toEqual([`${ORIGIN}${UNREAD_PATH}`]);
  });
});

describe("clickTarget", () => {
  test("keeps paths of this app and refuses anything else", () => {
    expect(clickTarget({ path: "/c/abc" })).toBe("/c/abc");
    expect(clickTarget({ path: "//evil.example/x" })).toBe("/");
    expect(clickTarget({ path: "https://evil.example/" })).toBe("/");
    expect(clickTarget({ path: 3 })).toBe("/");
    expect(clickTarget(null)).toBe("/");
    expect(clickTarget(undefined)).toBe("/");
  });
});

describe("the page's side of the open message", () => {
  test("reads what the worker posts, and nothing else", () => {
    expect(openMessagePath({ type: OPEN_MESSAGE_TYPE, path: "/c/abc" })).toBe("/c/abc");
    expect(openMessagePath({ type: OPEN_MESSAGE_TYPE, path: clickTarget({ path: "//evil.example" }) })).toBe("/");
    expect(openMessagePath({ type: OPEN_MESSAGE_TYPE, path: "//evil.example" })).toBeUndefined();
    expect(openMessagePath({ type: "parley:other", path: "/c/abc" })).toBeUndefined();
    expect(openMessagePath("parley:version")).toBeUndefined();
    expect(openMessagePath(null)).toBeUndefined();
  });
});

describe("openFromNotification", () => {
  test("focuses an open tab of the app and tells it the path", async () => {
    const other = fakeWindow("https://elsewhere.example/");
    const app = fakeWindow(`${ORIGIN}/settings`);
    const opened: string[] = [];
    await openFromNotification({ matchAll: async () => [other.w, app.w], openWindow: async (u) => opened.push(u) }, ORIGIN, {
      path: "/c/abc",
    });
    expect(app.log).toEqual(["focus", { type: OPEN_MESSAGE_TYPE, path: "/c/abc" }]);
    expect(other.log).toEqual([]);
    expect(opened).toEqual([]);
  });

  test("opens the app at the path when no tab is open", async () => {
    const opened: string[] = [];
    await openFromNotification({ matchAll: async () => [], openWindow: async (u) => opened.push(u) }, ORIGIN, { path: "/c/abc" });
    expect(opened).toEqual([`${ORIGIN}/c/abc`]);
    await openFromNotification({ matchAll: async () => [], openWindow: async (u) => opened.push(u) }, ORIGIN, undefined);
    expect(opened.at(-1)).toBe(`${ORIGIN}/`);
  });
});
