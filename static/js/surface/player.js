// The timeline player: play/pause, step back/forward, a scrub slider and a speed select. The server owns
// the timeline; the player sends intents and follows the cursor and state the server reports.

import { el, isEditableTarget, uniqueId } from "../dom.js";
import { setText, t } from "../i18n.js";

export const SPEEDS = [25, 50, 100, 200, 400];

const ICONS = {
  play: "M7 4v16l13-8z",
  pause: "M6 4h4v16H6zM14 4h4v16h-4z",
  back: "M5 5h2.5v14H5zM19 5v14L8.5 12z",
  forward: "M16.5 5H19v14h-2.5zM5 5v14l10.5-7z",
};

function icon(name) {
  const span = el("span", { class: "icon", "aria-hidden": "true" });
  span.innerHTML = `<svg viewBox="0 0 24 24" width="18" height="18" focusable="false"><path fill="currentColor" d="${ICONS[name]}"/></svg>`;
  return span;
}

export class Player {
  /** on: {play(), pause(), step(count), seek(step), speed(stepsPerSecond)} */
  constructor(root, on) {
    this.on = on;
    this.playing = false;
    this.steps = 0;
    this.cursor = 0;
    this.scrubbing = false;

    this.playButton = el("button", { type: "button", class: "button primary play", on: { click: () => this.toggle() } });
    this.playIcon = el("span", { class: "icon-slot" });
    this.playText = el("span", {});
    this.playButton.append(this.playIcon, this.playText);
    this.backButton = this.iconButton("back", "player.stepBack", () => this.on.step(-1));
    this.forwardButton = this.iconButton("forward", "player.stepForward", () => this.on.step(1));

    const scrubId = uniqueId("scrub");
    const scrubLabel = el("label", { for: scrubId, class: "sr-only" });
    setText(scrubLabel, "player.scrub");
    this.scrub = el("input", { type: "range", id: scrubId, class: "slider scrub", min: 0, max: 0, step: 1, value: 0 });
    this.scrub.addEventListener("input", () => {
      this.cursor = Number(this.scrub.value);
      this.renderCursor();
      this.on.seek(this.cursor);
    });
    this.scrub.addEventListener("pointerdown", () => (this.scrubbing = true));
    window.addEventListener("pointerup", () => (this.scrubbing = false));
    this.readout = el("output", { for: scrubId, class: "cursor-readout", "aria-live": "off" });

    const speedId = uniqueId("speed");
    const speedLabel = el("label", { for: speedId, class: "field-label inline" });
    setText(speedLabel, "player.speed");
    this.speedSelect = el("select", { id: speedId, class: "select speed" });
    for (const n of SPEEDS) {
      const option = el("option", { value: String(n) });
      setText(option, "player.speedValue", { n });
      this.speedSelect.append(option);
    }
    this.speedSelect.value = "100";
    this.speedSelect.addEventListener("change", () => this.on.speed(Number(this.speedSelect.value)));

    const keys = el("span", { class: "keys-hint" });
    setText(keys, "player.keys");
    root.append(
      el("div", { class: "player-buttons" }, this.backButton, this.playButton, this.forwardButton),
      el("div", { class: "player-scrub" }, scrubLabel, this.scrub, this.readout),
      el("div", { class: "player-speed" }, speedLabel, this.speedSelect),
      keys,
    );
    document.addEventListener("keydown", (event) => this.key(event));
    this.setPlaying(false);
    this.renderCursor();
  }

  iconButton(name, key, onClick) {
    const button = el("button", { type: "button", class: "icon-button", on: { click: onClick } }, icon(name));
    button.dataset.i18nAriaLabel = key;
    button.dataset.i18nTitle = key;
    button.setAttribute("aria-label", t(key));
    button.title = t(key);
    return button;
  }

  toggle() {
    if (this.playing) this.on.pause();
    else this.on.play();
    // Show the intent at once; the server's `state` message confirms it.
    this.setPlaying(!this.playing);
  }

  /** Space: play/pause; ←/→: step (unless a control that uses those keys has the focus). */
  key(event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    const onRangeOrCheck = target instanceof HTMLInputElement && (target.type === "range" || target.type === "checkbox");
    if (event.key === " " && (!isEditableTarget(target) || onRangeOrCheck)) {
      event.preventDefault();
      this.toggle();
    } else if ((event.key === "ArrowLeft" || event.key === "ArrowRight") && !isEditableTarget(target)) {
      event.preventDefault();
      this.on.step(event.key === "ArrowLeft" ? -1 : 1);
    }
  }

  setPlaying(playing) {
    this.playing = playing;
    this.playIcon.replaceChildren(icon(playing ? "pause" : "play"));
    setText(this.playText, playing ? "player.pause" : "player.play");
    this.playButton.setAttribute("aria-pressed", String(playing));
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

  setSpeed(stepsPerSecond) {
    const value = String(stepsPerSecond);
    if (![...this.speedSelect.options].some((o) => o.value === value)) {
      const option = el("option", { value });
      setText(option, "player.speedValue", { n: stepsPerSecond });
      this.speedSelect.append(option);
    }
    this.speedSelect.value = value;
  }

  renderCursor() {
    if (!this.scrubbing) this.scrub.value = String(this.cursor);
    setText(this.readout, "player.cursor", { k: this.cursor, n: this.steps });
    this.scrub.setAttribute("aria-valuetext", t("player.cursor", { k: this.cursor, n: this.steps }));
  }
}
