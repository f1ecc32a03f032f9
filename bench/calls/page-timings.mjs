// In-page timings for the call benchmark (an init script; it changes nothing the app does).
// Every time is performance.timeOrigin + performance.now(): epoch milliseconds with sub-ms
// precision, comparable between the two pages (same machine, same clock). It records:
// - clicks on "Video call …" and "Accept" (capture phase, before the app's handler runs);
// - getUserMedia start/end; RTCPeerConnection construction, createOffer/createAnswer,
//   setLocalDescription/setRemoteDescription start/end, "connected";
// - every relay frame the page sends or receives over WebSocket, with its `t` (read from the
//   msgpack bytes: the key "t" and its short string value) and size;
// - the first time an incoming-call banner (role=alertdialog) is in the DOM;
// - the first decoded frame of each remote <video> (videoWidth > 0, polled every 5 ms while armed).
// `window.__bench.reset()` starts a new round; `window.__bench.events` is the round's log.

export const PAGE_TIMINGS = `(() => {
  if (window.__bench) return;
  const now = () => performance.timeOrigin + performance.now();
  const bench = { events: [], firstFrames: {}, ringAt: undefined, armed: false };
  window.__bench = bench;
  const log = (what, extra) => bench.events.push({ at: now(), what, ...(extra || {}) });
  bench.log = log;
  bench.reset = () => {
    bench.events = [];
    bench.firstFrames = {};
    bench.ringAt = undefined;
    bench.armed = true;
  };

  document.addEventListener("click", (e) => {
    const button = e.target instanceof Element ? e.target.closest("button") : null;
    if (!button) return;
    const label = button.getAttribute("aria-label") || button.textContent || "";
    if (/^Video call /.test(label)) log("click-call");
    else if (label.trim() === "Accept") log("click-accept");
    else if (label.trim() === "Hang up") log("click-hangup");
  }, true);

  const md = navigator.mediaDevices;
  if (md && md.getUserMedia) {
    const gum = md.getUserMedia.bind(md);
    md.getUserMedia = async (constraints) => {
      log("gum-start");
      try { return await gum(constraints); } finally { log("gum-end"); }
    };
  }

  const Native = window.RTCPeerConnection;
  const timed = (name) => {
    const original = Native.prototype[name];
    Native.prototype[name] = async function (...args) {
      log(name + "-start");
      try { return await original.apply(this, args); } finally { log(name + "-end"); }
    };
  };
  for (const name of ["createOffer", "createAnswer", "setLocalDescription", "setRemoteDescription"]) timed(name);
  class Timed extends Native {
    constructor(...args) {
      super(...args);
      log("pc-new");
      this.addEventListener("connectionstatechange", () => log("pc-" + this.connectionState));
      this.addEventListener("icegatheringstatechange", () => log("ice-gathering-" + this.iceGatheringState));
    }
  }
  window.RTCPeerConnection = Timed;

  // The "t" of a msgpack relay frame: find the 1-char key "t" (0xa1 0x74), then a fixstr value.
  const frameType = (data) => {
    if (!(data instanceof ArrayBuffer) && !ArrayBuffer.isView(data)) return typeof data;
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    for (let i = 0; i + 2 < Math.min(bytes.length, 64); i++) {
      if (bytes[i] === 0xa1 && bytes[i + 1] === 0x74 && (bytes[i + 2] & 0xe0) === 0xa0) {
        const len = bytes[i + 2] & 0x1f;
        return String.fromCharCode(...bytes.subarray(i + 3, i + 3 + len));
      }
    }
    return "?";
  };
  const size = (data) => (data instanceof ArrayBuffer ? data.byteLength : data && data.byteLength) || 0;
  const NativeWs = window.WebSocket;
  const send = NativeWs.prototype.send;
  NativeWs.prototype.send = function (data) {
    log("ws-send", { t: frameType(data), bytes: size(data) });
    return send.call(this, data);
  };
  class TimedWs extends NativeWs {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (e) => log("ws-recv", { t: frameType(e.data), bytes: size(e.data) }));
    }
  }
  window.WebSocket = TimedWs;

  setInterval(() => {
    if (!bench.armed) return;
    if (bench.ringAt === undefined && document.querySelector('[role="alertdialog"]')) bench.ringAt = now();
    for (const v of document.querySelectorAll("video")) {
      const label = v.getAttribute("aria-label") || v.id || "video";
      if (bench.firstFrames[label] === undefined && v.videoWidth > 0 && !/^Your /.test(label)) bench.firstFrames[label] = now();
    }
  }, 5);
})()`;

/** The bare baseline page: one RTCPeerConnection, signalling handed over by the benchmark. */
export const BASELINE_PAGE = `<!doctype html><meta charset="utf-8"><title>baseline</title><video id="remote" autoplay muted playsinline></video>
<script>
  const now = () => performance.timeOrigin + performance.now();
  window.base = {
    async start() {
      this.t = {};
      this.candidates = [];
      this.pc = new RTCPeerConnection({ iceServers: [] });
      this.pc.onicecandidate = (e) => { if (e.candidate) this.candidates.push(e.candidate.toJSON()); };
      this.pc.ontrack = (e) => { document.getElementById("remote").srcObject = e.streams[0]; };
      this.pc.onconnectionstatechange = () => { if (this.pc.connectionState === "connected") this.t.connected = now(); };
      this.t.gumStart = now();
      this.stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
      this.t.gumEnd = now();
      for (const track of this.stream.getTracks()) this.pc.addTrack(track, this.stream);
      const v = document.getElementById("remote");
      const poll = setInterval(() => { if (v.videoWidth > 0) { this.t.firstFrame = now(); clearInterval(poll); } }, 5);
    },
    async offer() {
      this.t.offerStart = now();
      const offer = await this.pc.createOffer();
      this.t.offerCreated = now();
      await this.pc.setLocalDescription(offer);
      return this.pc.localDescription.sdp;
    },
    async answer(sdp) {
      await this.pc.setRemoteDescription({ type: "offer", sdp });
      await this.pc.setLocalDescription(await this.pc.createAnswer());
      return this.pc.localDescription.sdp;
    },
    async applyAnswer(sdp) { await this.pc.setRemoteDescription({ type: "answer", sdp }); },
    drain() { return this.candidates.splice(0); },
    async add(candidates) { for (const c of candidates) await this.pc.addIceCandidate(c); },
    stop() {
      for (const track of this.stream.getTracks()) track.stop();
      this.pc.close();
      document.getElementById("remote").srcObject = null;
    },
  };
</script>`;
