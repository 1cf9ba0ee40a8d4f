// The parts both players are built from: icon buttons, the play/pause button, the speed select and the
// keyboard shortcuts. The surface lab's timeline player and the network lab's training controls differ
// only in what they put around these.

import { el, isEditableTarget, uniqueId } from "./dom.js";
import { setText, t } from "./i18n.js";

const ICONS = {
  play: "M7 4v16l13-8z",
  pause: "M6 4h4v16H6zM14 4h4v16h-4z",
  back: "M5 5h2.5v14H5zM19 5v14L8.5 12z",
  forward: "M16.5 5H19v14h-2.5zM5 5v14l10.5-7z",
  reset: "M12 5V2L7 6l5 4V7a5 5 0 1 1-5 5H5a7 7 0 1 0 7-7z",
};

export function icon(name) {
  const span = el("span", { class: "icon", "aria-hidden": "true" });
  span.innerHTML = `<svg viewBox="0 0 24 24" width="18" height="18" focusable="false"><path fill="currentColor" d="${ICONS[name]}"/></svg>`;
  return span;
}

/** A square button showing an icon; its label (aria-label and tooltip) follows the language. */
export function iconButton(name, key, onClick) {
  const button = el("button", { type: "button", class: "icon-button", on: { click: onClick } }, icon(name));
  Object.assign(button.dataset, { i18nAriaLabel: key, i18nTitle: key });
  button.setAttribute("aria-label", t(key));
  button.title = t(key);
  return button;
}

/** Play/pause: shows the intent at once (`toggle`); the server's `state` message confirms it (`set`). */
export class PlayButton {
  constructor(on) {
    this.on = on; // {play(), pause()}
    this.playing = false;
    this.icon = el("span", { class: "icon-slot" });
    this.text = el("span");
    this.element = el("button", { type: "button", class: "button primary play", on: { click: () => this.toggle() } }, this.icon, this.text);
    this.set(false);
  }

  toggle() {
    if (this.playing) this.on.pause();
    else this.on.play();
    this.set(!this.playing);
  }

  set(playing) {
    this.playing = playing;
    this.icon.replaceChildren(icon(playing ? "pause" : "play"));
    setText(this.text, playing ? "player.pause" : "player.play");
    this.element.setAttribute("aria-pressed", String(playing));
  }
}

/** A labelled speed select; `optionKey` formats a value ({n}) in the current language. */
export class SpeedSelect {
  constructor(values, optionKey, initial, onChange) {
    this.optionKey = optionKey;
    const id = uniqueId("speed");
    this.select = el("select", { id, class: "select speed" });
    for (const n of values) this.select.append(setText(el("option", { value: String(n) }), optionKey, { n }));
    this.select.value = String(initial);
    this.select.addEventListener("change", () => onChange(Number(this.select.value)));
    this.element = el("div", { class: "player-speed" }, setText(el("label", { for: id, class: "field-label inline" }), "player.speed"), this.select);
  }

  /** Show the server's speed, adding it to the list when a link asked for an unlisted one. */
  set(n) {
    const value = String(n);
    if (![...this.select.options].some((o) => o.value === value)) this.select.append(setText(el("option", { value }), this.optionKey, { n }));
    this.select.value = value;
  }
}

/** Space: play/pause (also while a slider, a checkbox or one of the player's own buttons, inside
 * `player`, has the focus: Space there would otherwise press that step button again); → `forward()`,
 * ← `back()` when given (a key without a handler keeps its usual meaning), unless a control that uses
 * them has the focus. */
export function bindPlayerKeys({ toggle, forward, back = null, player = null }) {
  const arrows = { ArrowRight: forward, ArrowLeft: back };
  let spaceTaken = false;
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    const onRangeOrCheck = target instanceof HTMLInputElement && (target.type === "range" || target.type === "checkbox");
    const onPlayerButton = target instanceof HTMLButtonElement && Boolean(player?.contains(target));
    if (event.key === " " && (!isEditableTarget(target) || onRangeOrCheck || onPlayerButton)) {
      event.preventDefault();
      spaceTaken = true;
      if (!event.repeat) toggle();
    } else if (arrows[event.key] && !isEditableTarget(target)) {
      event.preventDefault();
      arrows[event.key]();
    }
  });
  // A focused button presses itself when Space comes up: Space already toggled playback, so not that too.
  document.addEventListener("keyup", (event) => {
    if (event.key === " " && spaceTaken) {
      event.preventDefault();
      spaceTaken = false;
    }
  });
}
