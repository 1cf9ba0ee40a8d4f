// The controls, built from the catalog: the surface panel (surface, its parameters, steps, noise, start)
// and the list of run cards. Reports changes through callbacks; the controller talks to the server.

import { el, setChildren } from "../dom.js";
import { setText } from "../i18n.js";
import { formatPoint } from "../numbers.js";
import { CUSTOM, MAX_RUNS, completeRun } from "../state.js";
import { byCatalog, byKey, selectField, slider, textField } from "../widgets.js";
import { CustomSurfaceEditor } from "./custom.js";
import { RunCard } from "./runcard.js";

// Okabe–Ito, most distinct first; yellow last (weakest on a light map). Runs 9–16 repeat them dashed.
export const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442"];

function runStyle(index) {
  return { color: PALETTE[index % PALETTE.length], dash: index < PALETTE.length ? "solid" : "dash" };
}

const STEPS_PARAM = { name: "steps", min: 1, max: 10000, default: 500, integer: true, scale: "log" };
const SIGMA_PARAM = { name: "sigma", min: 0, max: 1000, default: 0 };
const SIGMA_SCALE = { scale: "log0", logMin: 1e-3, max: 100 };

export class SurfacePanel {
  /** on: {surface(name), params(params), custom({expression, domain}), steps(n), noise({sigma, seed}), resetStart()} */
  constructor(root, catalog, state, on) {
    this.root = root;
    this.catalog = catalog;
    this.state = state;
    this.on = on;
    this.paramsBox = el("div", { class: "surface-params" });
    // A typed f(x, y) (the catalog's grammar), offered after the built-in surfaces.
    this.editor = catalog.custom_surface ? new CustomSurfaceEditor(catalog.custom_surface, { onChange: (custom) => this.on.custom(custom) }) : null;
    this.startText = el("span", { class: "start-value", "aria-live": "polite" });
    this.build();
  }

  build() {
    const state = this.state;
    const surface = selectField({
      name: "surface",
      value: state.surface,
      label: byKey("label.surface"),
      options: [
        ...this.catalog.surfaces.map((s) => ({ value: s.name, label: byCatalog(`surface.${s.name}`, s.title) })),
        ...(this.editor ? [{ value: CUSTOM, label: byKey("surface.custom") }] : []),
      ],
      onChange: (name) => this.on.surface(name),
    });
    this.surfaceSelect = surface.select;
    this.steps = slider({
      param: STEPS_PARAM,
      value: state.steps,
      label: byKey("label.steps"),
      onInput: (n) => this.on.steps(n),
    });
    const noise = slider({
      param: SIGMA_PARAM,
      scale: SIGMA_SCALE,
      value: state.sigma,
      label: byKey("label.noise"),
      onInput: (sigma) => this.on.noise({ sigma }),
    });
    const seed = textField({
      name: "seed",
      type: "number",
      value: state.seed,
      min: 0,
      max: 2 ** 31 - 1,
      step: 1,
      inputmode: "numeric",
      label: byKey("label.seed"),
      onInput: (text, input) => {
        const n = Number(text);
        const ok = text !== "" && Number.isInteger(n) && n >= 0 && n <= 2 ** 31 - 1;
        input.setAttribute("aria-invalid", String(!ok));
        if (ok) this.on.noise({ seed: n });
      },
    });
    const noiseBox = el("div", { class: "noise-box", dataset: { hide: "noise" } }, noise.root, seed.root);
    const resetLabel = el("span");
    setText(resetLabel, "btn.resetStart");
    const startLabel = el("span", { class: "field-label" });
    setText(startLabel, "label.start");
    const start = el(
      "div",
      { class: "field start-field" },
      startLabel,
      this.startText,
      el("button", { type: "button", class: "button small", on: { click: () => this.on.resetStart() } }, resetLabel),
    );
    setChildren(this.root, surface.root, this.paramsBox, this.steps.root, start, noiseBox);
    this.buildParams();
    this.setStart(state.start);
  }

  /** Sliders for the current surface's parameters (e.g. the quadratic's κ and θ), or a custom surface's
   * expression and domain. */
  buildParams() {
    this.paramsBox.classList.toggle("custom", this.state.surface === CUSTOM);
    if (this.state.surface === CUSTOM) {
      this.surfaceSelect.value = CUSTOM;
      setChildren(this.paramsBox, this.editor.root);
      this.paramsBox.hidden = false;
      this.editor.set(this.state.expr, this.state.domain);
      return;
    }
    const surface = this.catalog.surfaces.find((s) => s.name === this.state.surface);
    this.surfaceSelect.value = surface.name;
    const sliders = surface.params.map((p) =>
      slider({
        param: p,
        name: `surface-${p.name}`,
        value: this.state.params[p.name],
        label: byCatalog(`sp.${p.name}`, p.title),
        onInput: (v) => this.on.params({ ...this.state.params, [p.name]: v }),
      }).root,
    );
    setChildren(this.paramsBox, ...sliders);
    this.paramsBox.hidden = sliders.length === 0;
  }

  setStart(point) {
    const [x, y] = formatPoint(point);
    setText(this.startText, "start.value", { x, y });
  }
}

export class RunList {
  /** on: {run(index, run), runs(runs)} — a change in one run, or a new list (add/remove). */
  constructor(listNode, addButton, catalog, state, on) {
    this.list = listNode;
    this.addButton = addButton;
    this.catalog = catalog;
    this.state = state;
    this.on = on;
    this.cards = [];
    this.slots = []; // per run, its colour's index in the palette: a run keeps its colour when another is removed
    addButton.addEventListener("click", () => this.add());
    this.rebuild();
  }

  rebuild() {
    this.slots = this.state.runs.map((_, i) => i);
    this.cards = this.state.runs.map((run, i) => this.card(run, i));
    setChildren(this.list, this.cards.map((c) => c.root));
    this.sync();
  }

  /** Colour and dash of the run at `index` (see `slots`). */
  styleOf(index) {
    return runStyle(this.slots[index] ?? index);
  }

  card(run, index) {
    const { color, dash } = this.styleOf(index);
    const card = new RunCard({
      catalog: this.catalog,
      run,
      index,
      color,
      dash,
      steps: this.state.steps,
      onChange: (changed) => {
        this.state.runs[card.index] = changed;
        card.setPending();
        this.on.run(card.index, changed);
      },
      onRemove: () => this.remove(card.index),
    });
    return card;
  }

  sync() {
    this.cards.forEach((card, i) => {
      const { color, dash } = this.styleOf(i);
      card.setIndex(i, color, dash);
      card.setRemovable(this.cards.length > 1);
    });
    this.addButton.disabled = this.cards.length >= MAX_RUNS;
  }

  /** A new run: the first optimizer not yet racing (catalog defaults); once every one races, a copy of
   * the last run, to vary one value of it. */
  add() {
    if (this.state.runs.length >= MAX_RUNS) return;
    const used = new Set(this.state.runs.map((r) => r.optimizer));
    const next = this.catalog.optimizers.find((o) => !used.has(o.id));
    const run = next ? completeRun({ optimizer: next.id }, this.catalog) : completeRun(structuredClone(this.state.runs.at(-1)), this.catalog);
    this.state.runs.push(run);
    let slot = 0;
    while (this.slots.includes(slot)) slot += 1;
    this.slots.push(slot);
    const card = this.card(run, this.state.runs.length - 1);
    this.cards.push(card);
    this.list.append(card.root);
    this.sync();
    this.on.runs(this.state.runs);
    card.root.querySelector("select")?.focus();
  }

  remove(index) {
    if (this.state.runs.length <= 1) return;
    this.state.runs.splice(index, 1);
    this.slots.splice(index, 1);
    const [card] = this.cards.splice(index, 1);
    card.root.remove();
    this.sync();
    this.cards.forEach((c) => c.setPending());
    this.on.runs(this.state.runs);
    (this.cards[index] ?? this.cards[index - 1])?.root.querySelector("select")?.focus();
  }

  /** Replace the run at `index` (e.g. a sweep's cell loaded into it): its card rebuilt, the change sent. */
  setRun(index, run) {
    const card = this.cards[index];
    if (!card) return;
    card.run = run;
    card.build();
    card.emit();
  }

  /** After a language switch: what the page's generic relabelling cannot know (catalog names in labels). */
  relabel() {
    this.cards.forEach((c) => c.labelRule());
  }

  setSteps(steps) {
    this.cards.forEach((c) => (c.steps = steps));
  }

  /** Statuses from a `paths` header. */
  setStatuses(runs) {
    runs.forEach((meta, i) => this.cards[i]?.setStatus(meta));
  }

  /** Schedule previews from a decoded `paths` frame's runs (their `learning_rate` series). */
  setRates(runs, steps) {
    runs.forEach((run, i) => this.cards[i]?.setRates(run.series?.learning_rate?.data ?? null, steps));
  }
}
