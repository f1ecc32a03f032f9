// The parts of ServiceWorkerGlobalScope the worker uses (the WebWorker lib conflicts with DOM's).
export interface SwExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}

export interface SwFetchEvent extends SwExtendableEvent {
  readonly request: Request;
  respondWith(response: Response | Promise<Response>): void;
}

export interface SwScope {
  addEventListener(type: "install" | "activate", listener: (event: SwExtendableEvent) => void): void;
  addEventListener(type: "fetch", listener: (event: SwFetchEvent) => void): void;
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
  skipWaiting(): Promise<void>;
  readonly clients: {
    claim(): Promise<void>;
    matchAll(options?: { type?: string; includeUncontrolled?: boolean }): Promise<readonly { postMessage(message: unknown): void }[]>;
  };
  readonly registration: { showNotification(title: string, options?: NotificationOptions): Promise<void> };
  readonly location: Location;
}
