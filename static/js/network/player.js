// Training controls: reset, play/pause, one chunk forward, speed; and what the server is doing
// (building a network, training, paused). Sends intents; follows the server's `state` messages.

import { el, isEditableTarget, uniqueId } from "../dom.js";
import { setText, t } from "../i18n.js";
import { SPEEDS } from "./state.js";

const ICONS = {
  play: "M7 4v16l13-8z",
  pause: "M6 4h4v16H6zM14 4h4v16h-4z",
  step: "M16.5 5H19v14h-2.5zM5 5v14l10.5-7z",
  reset: "M12 5V2L7 6l5 4V7a5 5 0 1 1-5 5H5a7 7 0 1 0 7-7z",
};

function icon(name) {
  const span = el("span", { class: "icon", "aria-hidden": "true" });
  span.innerHTML = `<svg viewBox="0 0 24 24" width="18" height="18" focusable="false"><path fill="currentColor" d="${ICONS[name]}"/></svg>`;
  return span;
}

export class NetworkPlayer {
  /** on: {play(), pause(), step(), reset(), speed(chunksPerSecond)} */
  constructor(root, on) {
    this.on = on;
    this.playing = false;
    this.playButton = el("button", { type: "button", class: "button primary play", on: { click: () => this.toggle() } });
    this.playIcon = el("span", { class: "icon-slot" });
    this.playText = el("span");
    this.playButton.append(this.playIcon, this.playText);
    this.resetButton = this.iconButton("reset", "player.reset", () => this.on.reset());
    this.stepButton = this.iconButton("step", "player.stepChunk", () => this.on.step());
    const speedId = uniqueId("speed");
    this.speedSelect = el("select", { id: speedId, class: "select speed" });
    for (const n of SPEEDS) this.speedSelect.append(setText(el("option", { value: String(n) }), "player.chunksValue", { n }));
    this.speedSelect.addEventListener("change", () => this.on.speed(Number(this.speedSelect.value)));
    this.busy = el("span", { class: "busy", role: "status", hidden: true }, el("span", { class: "spinner", "aria-hidden": "true" }), setText(el("span"), "net.building"));
    this.readout = el("output", { class: "cursor-readout step-readout" });
    root.append(
      el("div", { class: "player-buttons" }, this.resetButton, this.playButton, this.stepButton),
      this.readout,
      this.busy,
      el("div", { class: "player-speed" }, setText(el("label", { for: speedId, class: "field-label inline" }), "player.speed"), this.speedSelect),
      setText(el("span", { class: "keys-hint" }), "player.netKeys"),
    );
    document.addEventListener("keydown", (event) => this.key(event));
    this.setPlaying(false);
    this.setStep(0, 0);
  }

  iconButton(name, key, onClick) {
    const button = el("button", { type: "button", class: "icon-button", on: { click: onClick } }, icon(name));
    Object.assign(button.dataset, { i18nAriaLabel: key, i18nTitle: key });
    button.setAttribute("aria-label", t(key));
    button.title = t(key);
    return button;
  }

  toggle() {
    if (this.playing) this.on.pause();
    else this.on.play();
    this.setPlaying(!this.playing); // the server's `state` message confirms it
  }

  /** Space: play/pause; →: one chunk (unless a control that uses those keys has the focus). */
  key(event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    const onRangeOrCheck = target instanceof HTMLInputElement && (target.type === "range" || target.type === "checkbox");
    if (event.key === " " && (!isEditableTarget(target) || onRangeOrCheck)) {
      event.preventDefault();
      this.toggle();
    } else if (event.key === "ArrowRight" && !isEditableTarget(target)) {
      event.preventDefault();
      this.on.step();
    }
  }

  setPlaying(playing) {
    this.playing = playing;
    this.playIcon.replaceChildren(icon(playing ? "pause" : "play"));
    setText(this.playText, playing ? "player.pause" : "player.play");
    this.playButton.setAttribute("aria-pressed", String(playing));
  }

  setSpeed(chunksPerSecond) {
    const value = String(chunksPerSecond);
    if (![...this.speedSelect.options].some((o) => o.value === value)) {
      this.speedSelect.append(setText(el("option", { value }), "player.chunksValue", { n: chunksPerSecond }));
    }
    this.speedSelect.value = value;
  }

  setStep(step, epoch) {
    setText(this.readout, "player.stepEpoch", { step: step.toLocaleString("en-US"), epoch: epoch.toFixed(1) });
  }

  setBusy(busy) {
    this.busy.hidden = !busy;
  }
}
