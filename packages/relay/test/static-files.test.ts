// The web client's static files: security headers on every response, cache lifetimes by kind,
// content types, single-page routes, revalidation by ETag, and no escape from the directory.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CONTENT_SECURITY_POLICY, cacheControl, serveStatic } from "../src/server/static-files.js";

let root: string;
let server: Server;
let base: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "parley-static-"));
  mkdirSync(join(root, "assets"));
  writeFileSync(join(root, "index.html"), "<!doctype html><title>app</title>");
  writeFileSync(join(root, "sw.js"), "/* sw */");
  writeFileSync(join(root, "manifest.webmanifest"), "{}");
  writeFileSync(join(root, "icon-192.png"), "png");
  for (const name of ["main-abc.js", "main-abc.css", "sodium-abc.wasm", "a.webp", "b.mp4", "c.webm", "d.woff2", "e.bin"])
    writeFileSync(join(root, "assets", name), name);
  server = createServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (!(await serveStatic(root, path, res, req.headers))) {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(root, { recursive: true, force: true });
});

describe("static files", () => {
  test("the relay's own paths never fall back to the app's index.html", async () => {
    for (const path of ["/metrics", "/healthz", "/blobs", "/blobs/abc", "/metrics/x"])
      expect((await fetch(base + path)).status, path).toBe(404);
    // Routes of the app that only start like a relay path still get the app.
    expect((await fetch(`${base}/metricsx`)).status).toBe(200);
  });

  test("HTML carries the strict CSP and the other security headers", async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toBe(CONTENT_SECURITY_POLICY);
    for (const directive of [
      "default-src 'self'",
      "script-src 'self' 'wasm-unsafe-eval'",
      "style-src 'self'",
      "img-src 'self' blob: data:",
      "media-src 'self' blob:",
      "connect-src 'self'",
      "worker-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
      "form-action 'self'",
    ])
      expect(csp.split("; ")).toContain(directive);
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-eval'/);
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("cross-origin-opener-policy")).toBe("same-origin");
    expect(res.headers.get("permissions-policy")).toContain("camera=(self)");
    expect(res.headers.get("permissions-policy")).toContain("microphone=(self)");
    expect(res.headers.get("permissions-policy")).toContain("geolocation=()");
    expect(res.headers.get("cache-control")).toBe("no-cache");
  });

  test("routes without an extension get index.html; missing files with one do not", async () => {
    for (const path of ["/settings", "/c/abc%2Fdef", "/settings/devices"]) {
      const res = await fetch(base + path);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain("<title>app</title>");
    }
    expect((await fetch(`${base}/assets/missing-123.js`)).status).toBe(404);
    // Dot segments never leave the directory: at worst the app shell answers.
    for (const path of ["/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/assets/..%2f..%2f..%2fetc%2fpasswd"])
      expect(await (await fetch(base + path)).text(), path).not.toContain("root:");
    expect((await fetch(`${base}/%E0%A4%A`)).status).toBe(404);
  });

  test("hashed assets are immutable for a year; the shell, worker and manifest revalidate", async () => {
    const assets = await fetch(`${base}/assets/main-abc.js`);
    expect(assets.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(assets.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    for (const path of ["/index.html", "/sw.js", "/manifest.webmanifest"])
      expect((await fetch(base + path)).headers.get("cache-control"), path).toBe("no-cache");
    expect((await fetch(`${base}/icon-192.png`)).headers.get("cache-control")).toBe("public, max-age=3600");
    // The service worker gets the same CSP (a worker's policy comes from its own response).
    expect((await fetch(`${base}/sw.js`)).headers.get("content-security-policy")).toBe(CONTENT_SECURITY_POLICY);
    expect(cacheControl("assets/x.css")).toBe("public, max-age=31536000, immutable");
    expect(cacheControl("precache.json")).toBe("no-cache");
  });

  test("content types of the web formats", async () => {
    const types: Record<string, string> = {
      "/manifest.webmanifest": "application/manifest+json",
      "/assets/sodium-abc.wasm": "application/wasm",
      "/assets/a.webp": "image/webp",
      "/assets/b.mp4": "video/mp4",
      "/assets/c.webm": "video/webm",
      "/assets/d.woff2": "font/woff2",
      "/assets/main-abc.css": "text/css; charset=utf-8",
      "/icon-192.png": "image/png",
      "/assets/e.bin": "application/octet-stream",
    };
    for (const [path, type] of Object.entries(types)) expect((await fetch(base + path)).headers.get("content-type"), path).toBe(type);
  });

  test("an unchanged file answers 304 to its ETag, still with the security headers", async () => {
    const first = await fetch(`${base}/index.html`);
    const etag = first.headers.get("etag");
    expect(etag).toMatch(/^"[0-9a-z]+-[0-9a-z]+"$/);
    const again = await fetch(`${base}/index.html`, { headers: { "if-none-match": etag ?? "" } });
    expect(again.status).toBe(304);
    expect(again.headers.get("content-security-policy")).toBe(CONTENT_SECURITY_POLICY);
    const other = await fetch(`${base}/index.html`, { headers: { "if-none-match": '"nope"' } });
    expect(other.status).toBe(200);
  });

  test("HEAD answers the headers without a body", async () => {
    const res = await fetch(`${base}/`, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toBe(CONTENT_SECURITY_POLICY);
    expect(await res.text()).toBe("");
  });
});
