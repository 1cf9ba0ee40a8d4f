// WebSocket client for /ws/v1/surface: sends control messages, acknowledges every binary frame,
// emits decoded `paths` and `tick` frames and the server's `state` / `error` messages, and reconnects.

import { decodeMessage } from "../protocol.js";

const RETRY_MS = [300, 1000, 2000, 4000];

export class SurfaceSession {
  /** `url` defaults to this page's host; events: open, close, paths, tick, state, error, stopped. */
  constructor(url = SurfaceSession.defaultUrl()) {
    this.url = url;
    this.socket = null;
    this.listeners = new Map();
    this.retries = 0;
    this.closedByUs = false;
    this.lastVersion = 0;
  }

  static defaultUrl() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}/ws/v1/surface`;
  }

  on(type, fn) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type).add(fn);
    return this;
  }

  emit(type, payload) {
    for (const fn of this.listeners.get(type) ?? []) fn(payload);
  }

  get connected() {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  connect() {
    this.closedByUs = false;
    const socket = new WebSocket(this.url);
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.retries = 0;
      this.emit("open");
    });
    socket.addEventListener("message", (event) => this.receive(event.data));
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return;
      this.emit("close", { code: event.code, willRetry: !this.closedByUs });
      if (!this.closedByUs) {
        const delay = RETRY_MS[Math.min(this.retries, RETRY_MS.length - 1)];
        this.retries += 1;
        this.retryTimer = setTimeout(() => this.connect(), delay);
      }
    });
    return this;
  }

  /** Close for good (no reconnect). */
  close() {
    this.closedByUs = true;
    clearTimeout(this.retryTimer);
    this.socket?.close(1000);
  }

  receive(data) {
    if (typeof data === "string") {
      let message;
      try {
        message = JSON.parse(data);
      } catch {
        this.emit("error", { type: "error", message: "unreadable message from the server", errors: [] });
        return;
      }
      this.emit(message.type, message);
      return;
    }
    let frame;
    try {
      frame = decodeMessage(data);
    } catch (err) {
      this.emit("error", { type: "error", message: `unreadable frame: ${err.message}`, errors: [] });
      return;
    } finally {
      // Acknowledge every binary frame (even an unreadable one) so the server's credits never run dry.
      const seq = frame?.seq ?? this.peekSeq(data);
      if (seq !== undefined) this.send({ type: "ack", seq });
    }
    this.lastVersion = frame.version;
    this.emit(frame.type, frame);
  }

  peekSeq(buffer) {
    try {
      const size = new DataView(buffer).getUint32(0, true);
      return JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, size))).seq;
    } catch {
      return undefined;
    }
  }

  /** Send one JSON message; returns false (and drops it) while disconnected. */
  send(message) {
    if (!this.connected) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  start(spec, play = false) {
    return this.send({ type: "start", spec, play });
  }

  /** Patch the spec (`{start}`, `{surface}`, …) or, with `run`, one run. */
  update(patch) {
    return this.send({ type: "update", ...patch });
  }

  pause() {
    return this.send({ type: "pause" });
  }

  resume() {
    return this.send({ type: "resume" });
  }

  step(count) {
    return this.send({ type: "step", count });
  }

  seek(step) {
    return this.send({ type: "seek", step });
  }

  speed(stepsPerSecond) {
    return this.send({ type: "speed", steps_per_second: stepsPerSecond });
  }
}
