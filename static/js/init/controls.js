// The init experiment's controls: seed-001 preset buttons, activation, initialization, depth, width,
// samples and seed. Reports whole-state patches through `onChange`; knows nothing about the server.

import { el, setChildren } from "../dom.js";
import { setText } from "../i18n.js";
import { activationFields, completeAlpha, completeInit, initFields } from "../netfields.js";
import { byKey, slider, textField } from "../widgets.js";
import { LIMITS, PRESETS } from "./state.js";

export class PresetButtons {
  /** onPick(preset) when a preset button is pressed. */
  constructor(root, onPick) {
    this.buttons = PRESETS.map((preset) => {
      const button = el("button", { type: "button", class: "button preset", dataset: { preset: preset.id }, "aria-pressed": "false", on: { click: () => onPick(preset) } });
      setText(button, `init.preset.${preset.id}`);
      return button;
    });
    setChildren(root, ...this.buttons);
  }

  /** Mark the preset the view shows (or none). */
  setActive(id) {
    for (const b of this.buttons) b.setAttribute("aria-pressed", String(b.dataset.preset === id));
  }
}

export class InitControls {
  /** onChange(patch): a partial state ({activation, alpha}, {init}, {layers}, …). */
  constructor(root, catalog, state, onChange) {
    this.catalog = catalog;
    this.onChange = onChange;
    this.activation = activationFields(catalog, state, {
      activation: (name) => onChange({ activation: name, alpha: completeAlpha(name, undefined, catalog) }),
      alpha: (alpha) => onChange({ alpha }),
    });
    this.init = initFields(catalog, state.init, (init) => onChange({ init }));
    this.sliders = Object.fromEntries(
      ["layers", "width", "samples"].map((name) => [
        name,
        slider({ param: LIMITS[name], value: state[name], label: byKey(`label.${name}`), onInput: (v) => onChange({ [name]: v }) }),
      ]),
    );
    const seed = textField({
      name: "seed",
      type: "number",
      value: state.seed,
      min: 0,
      step: 1,
      inputmode: "numeric",
      label: byKey("label.initSeed"),
      onInput: (text, input) => {
        const n = Number(text);
        const ok = text !== "" && Number.isInteger(n) && n >= 0 && n <= 2 ** 31 - 1;
        input.setAttribute("aria-invalid", String(!ok));
        if (ok) onChange({ seed: n });
      },
    });
    this.seedInput = seed.input;
    const shape = el("div", { class: "group" }, ...Object.values(this.sliders).map((s) => s.root), seed.root);
    setChildren(root, this.activation.root, this.init.root, shape);
  }

  /** Show a state set from outside (a preset). */
  set(state) {
    this.activation.set(state.activation, state.alpha);
    this.init.set(completeInit(state.init, this.catalog));
    for (const [name, s] of Object.entries(this.sliders)) s.set(state[name]);
    this.seedInput.value = String(state.seed);
  }
}
