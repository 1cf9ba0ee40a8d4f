// The timeline player: play/pause, step back/forward, a scrub slider and a speed select. The server owns
// the timeline; the player sends intents and follows the cursor and state the server reports.

import { el, uniqueId } from "../dom.js";
import { setText, t } from "../i18n.js";
import { bindPlayerKeys, iconButton, PlayButton, SpeedSelect } from "../player_parts.js";

export const SPEEDS = [25, 50, 100, 200, 400];

export class Player {
  /** on: {play(), pause(), step(count), seek(step), speed(stepsPerSecond)} */
  constructor(root, on) {
    this.on = on;
    this.steps = 0;
    this.cursor = 0;
    this.scrubbing = false;

    this.playButton = new PlayButton(on);
    this.backButton = iconButton("back", "player.stepBack", () => this.step(-1));
    this.forwardButton = iconButton("forward", "player.stepForward", () => this.step(1));

    const scrubId = uniqueId("scrub");
    const scrubLabel = setText(el("label", { for: scrubId, class: "sr-only" }), "player.scrub");
    this.scrub = el("input", { type: "range", id: scrubId, class: "slider scrub", min: 0, max: 0, step: 1, value: 0 });
    this.scrub.addEventListener("input", () => {
      this.setPlaying(false); // the server pauses on a seek (and says so)
      this.cursor = Number(this.scrub.value);
      this.renderCursor();
      this.on.seek(this.cursor);
    });
    this.scrub.addEventListener("pointerdown", () => (this.scrubbing = true));
    window.addEventListener("pointerup", () => (this.scrubbing = false));
    this.readout = el("output", { for: scrubId, class: "cursor-readout", "aria-live": "off" });
    this.speed = new SpeedSelect(SPEEDS, "player.speedValue", 100, (n) => this.on.speed(n));

    root.append(
      el("div", { class: "player-buttons" }, this.backButton, this.playButton.element, this.forwardButton),
      el("div", { class: "player-scrub" }, scrubLabel, this.scrub, this.readout),
      this.speed.element,
      setText(el("span", { class: "keys-hint" }), "player.keys"),
    );
    bindPlayerKeys({ toggle: () => this.playButton.toggle(), forward: () => this.step(1), back: () => this.step(-1), player: root });
    this.renderCursor();
  }

  /** Step the cursor; the server pauses playback for it (and says so), the button shows it at once. */
  step(count) {
    this.setPlaying(false);
    this.on.step(count);
  }

  get playing() {
    return this.playButton.playing;
  }

  setPlaying(playing) {
    this.playButton.set(playing);
  }

  setSpeed(stepsPerSecond) {
    this.speed.set(stepsPerSecond);
  }

  setSteps(steps) {
    this.steps = steps;
    this.scrub.max = String(steps);
    this.renderCursor();
  }

  setCursor(cursor) {
    this.cursor = cursor;
    this.renderCursor();
  }

  renderCursor() {
    if (!this.scrubbing) this.scrub.value = String(this.cursor);
    setText(this.readout, "player.cursor", { k: this.cursor, n: this.steps });
    this.scrub.setAttribute("aria-valuetext", t("player.cursor", { k: this.cursor, n: this.steps }));
  }
}
