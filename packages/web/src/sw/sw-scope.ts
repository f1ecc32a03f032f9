// The parts of ServiceWorkerGlobalScope the worker uses (the WebWorker lib conflicts with DOM's).
export interface SwExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}

export interface SwFetchEvent extends SwExtendableEvent {
  readonly request: Request;
  respondWith(response: Response | Promise<Response>): void;
}

/** A push event: its payload is never read for content (see push-notify.ts). */
export type SwPushEvent = SwExtendableEvent;

/** A click on one of the worker's notifications. */
export interface SwNotificationEvent extends SwExtendableEvent {
  readonly notification: { readonly data: unknown; close(): void };
}

/** A client of the worker (a tab): enough to message, focus or compare its URL. */
export interface WindowClientLike {
  readonly url: string;
  postMessage(message: unknown): void;
  focus(): Promise<unknown>;
}

export interface SwScope {
  addEventListener(type: "install" | "activate", listener: (event: SwExtendableEvent) => void): void;
  addEventListener(type: "fetch", listener: (event: SwFetchEvent) => void): void;
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
  addEventListener(type: "push", listener: (event: SwPushEvent) => void): void;
  addEventListener(type: "notificationclick", listener: (event: SwNotificationEvent) => void): void;
  skipWaiting(): Promise<void>;
  readonly clients: {
    claim(): Promise<void>;
    matchAll(options?: { type?: string; includeUncontrolled?: boolean }): Promise<readonly WindowClientLike[]>;
    openWindow(url: string): Promise<unknown>;
  };
  readonly registration: { showNotification(title: string, options?: NotificationOptions): Promise<void> };
  readonly location: Location;
}
