// WebSocket client for /ws/v1/network: the surface session's socket handling (reconnects, acknowledges
// every binary frame) with the network lab's messages. Emits open, close, setup, chunk, state, error.

import { SurfaceSession } from "../surface/session.js";

export class NetworkSession extends SurfaceSession {
  constructor(url = NetworkSession.defaultUrl()) {
    super(url);
  }

  static defaultUrl() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}/ws/v1/network`;
  }

  /** Build the networks of `spec` (a new architecture compiles once); setup and step-0 chunks follow. */
  start(spec, play = false) {
    return this.send({ type: "start", spec, play });
  }

  /** New values for network `net` from its next step: {hyperparameters}, {dropout}, {schedule}, … */
  update(net, patch) {
    return this.send({ type: "update", net, ...patch });
  }

  step(count = 1) {
    return this.send({ type: "step", count });
  }

  speed(chunksPerSecond) {
    return this.send({ type: "speed", chunks_per_second: chunksPerSecond });
  }
}
