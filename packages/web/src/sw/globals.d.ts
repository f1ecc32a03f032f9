// Build-time constants (vite.config.ts `define`).
declare const __PARLEY_WEB_VERSION__: string;
