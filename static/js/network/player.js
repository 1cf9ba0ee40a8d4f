// Training controls: reset, play/pause, one chunk forward, speed; and what the server is doing
// (building a network, training, paused). Sends intents; follows the server's `state` messages.

import { el } from "../dom.js";
import { setText } from "../i18n.js";
import { bindPlayerKeys, iconButton, PlayButton, SpeedSelect } from "../player_parts.js";
import { SPEEDS } from "./state.js";

export class NetworkPlayer {
  /** on: {play(), pause(), step(), reset(), speed(chunksPerSecond)} */
  constructor(root, on) {
    this.on = on;
    this.playButton = new PlayButton(on);
    this.resetButton = iconButton("reset", "player.reset", () => this.on.reset());
    this.stepButton = iconButton("forward", "player.stepChunk", () => this.on.step());
    this.speed = new SpeedSelect(SPEEDS, "player.chunksValue", SPEEDS[0], (n) => this.on.speed(n));
    this.busyLabel = setText(el("span"), "net.building");
    this.busy = el("span", { class: "busy", role: "status", hidden: true }, el("span", { class: "spinner", "aria-hidden": "true" }), this.busyLabel);
    this.readout = el("output", { class: "cursor-readout step-readout" });
    root.append(
      el("div", { class: "player-buttons" }, this.resetButton, this.playButton.element, this.stepButton),
      this.readout,
      this.busy,
      this.speed.element,
      setText(el("span", { class: "keys-hint" }), "player.netKeys"),
    );
    bindPlayerKeys({ toggle: () => this.playButton.toggle(), forward: () => this.on.step(), player: root }); // training only goes forward
    this.setStep(0, 0);
  }

  get playing() {
    return this.playButton.playing;
  }

  setPlaying(playing) {
    this.playButton.set(playing);
  }

  setSpeed(chunksPerSecond) {
    this.speed.set(chunksPerSecond);
  }

  setStep(step, epoch) {
    setText(this.readout, "player.stepEpoch", { step: step.toLocaleString("en-US"), epoch: epoch.toFixed(1) });
  }

  /** The spinner, saying what the wait is: building a network (default) or training its next chunk. */
  setBusy(busy, what = "net.building") {
    if (busy) setText(this.busyLabel, what);
    this.busy.hidden = !busy;
  }
}
