// One network's configuration, built from the catalog: architecture, activation, initialization,
// batch norm, residual connections, regularization, optimizer with its hyperparameters, schedule,
// clipping and batch size. Structural changes call on.structural(); values a running network can
// take without a restart call on.values(patch) with the patch of an `update` message.

import { el, setChildren } from "../dom.js";
import { setText, t } from "../i18n.js";
import { activationFields, completeAlpha, initFields } from "../netfields.js";
import { completeRun } from "../state.js";
import { byCatalog, byKey, checkField, selectField, slider, textField } from "../widgets.js";
import { LIMITS, trainableOptimizers } from "./state.js";

const P = {
  dropout: { name: "dropout", min: 0, max: 0.9, default: 0, scale: "linear" },
  l1: { name: "l1", min: 0, max: 1, default: 0, scale: "log0", logMin: 1e-6 },
  l2: { name: "l2", min: 0, max: 1, default: 0, scale: "log0", logMin: 1e-6 },
  max_norm: { name: "max_norm", min: 0, max: 100, default: 0, scale: "log0", logMin: 0.01 },
  bn_momentum: { name: "bn_momentum", min: 0, max: 0.999, default: 0.9, scale: "linear" },
  threshold: { name: "threshold", min: 1e-3, max: 1e3, default: 1, scale: "log" },
};

/** "5, 5, 5" → [5, 5, 5], or null when it is not 1–20 widths of 2–256. */
export function parseHidden(text) {
  const parts = text.split(/[,\s]+/).filter(Boolean);
  const widths = parts.map(Number);
  const ok = widths.length >= 1 && widths.length <= LIMITS.layers && widths.every((w) => Number.isInteger(w) && w >= LIMITS.minWidth && w <= LIMITS.maxWidth);
  return ok ? widths : null;
}

export class NetworkPanel {
  /** net: the state's network (mutated in place); nTrain: training samples (batch size bound). */
  constructor(root, catalog, net, nTrain, on) {
    Object.assign(this, { root, catalog, net, nTrain, on });
    this.build();
  }

  get optimizer() {
    return this.catalog.optimizers.find((o) => o.id === this.net.optimizer);
  }

  build() {
    const net = this.net;
    const structural = () => this.on.structural();
    const activation = activationFields(this.catalog, net, {
      activation: (name) => {
        net.activation = name;
        net.alpha = completeAlpha(name, undefined, this.catalog);
        structural();
      },
      alpha: (alpha) => {
        net.alpha = alpha;
        structural();
      },
    });
    const init = initFields(this.catalog, net.init, (value) => {
      net.init = value;
      structural();
    });
    const bnBox = el("div", { class: "sub-params", hidden: !net.batch_norm }, this.valueSlider("bn_momentum", "label.bnMomentum"));
    const toggles = el(
      "div",
      { class: "check-row" },
      checkField({ name: "batch_norm", checked: net.batch_norm, label: byKey("label.batchNorm"), onChange: (on) => {
        net.batch_norm = on;
        bnBox.hidden = !on;
        structural();
      } }).root,
      checkField({ name: "residual", checked: net.residual, label: byKey("label.residual"), onChange: (on) => {
        net.residual = on;
        structural();
      } }).root,
    );
    const regularization = el("div", { class: "group" }, ...["dropout", "l1", "l2", "max_norm"].map((k) => this.valueSlider(k, `label.${k}`)));
    this.optimizerBox = el("div", { class: "group" });
    this.buildOptimizer();
    setChildren(this.root, this.architecture(), activation.root, init.root, this.optimizerBox, el("div", { class: "group" }, toggles, bnBox), regularization);
  }

  architecture() {
    const note = setText(el("p", { class: "note invalid", hidden: true }), "net.hiddenInvalid");
    const count = el("span", { class: "layer-count" });
    const field = textField({
      name: "hidden",
      value: this.net.hidden.join(", "),
      label: byKey("label.hidden"),
      onInput: (text, input) => {
        const widths = parseHidden(text);
        input.setAttribute("aria-invalid", String(!widths));
        note.hidden = Boolean(widths);
        if (!widths) return;
        this.setHidden(widths, false);
      },
    });
    this.hiddenInput = field.input;
    this.layerCount = count;
    const button = (key, text, delta) => {
      const b = el("button", { type: "button", class: "icon-button", on: { click: () => this.addLayer(delta) } }, text);
      Object.assign(b.dataset, { i18nAriaLabel: key, i18nTitle: key });
      b.setAttribute("aria-label", t(key));
      b.title = t(key);
      return b;
    };
    this.removeButton = button("net.removeLayer", "−", -1);
    this.addButton = button("net.addLayer", "+", 1);
    this.syncLayerButtons();
    return el("div", { class: "arch" }, field.root, el("div", { class: "arch-row" }, this.removeButton, this.addButton, count), note);
  }

  addLayer(delta) {
    const hidden = [...this.net.hidden];
    if (delta > 0 && hidden.length < LIMITS.layers) hidden.push(hidden.at(-1));
    if (delta < 0 && hidden.length > 1) hidden.pop();
    this.setHidden(hidden, true);
  }

  setHidden(hidden, writeText) {
    this.net.hidden = hidden;
    if (writeText) this.hiddenInput.value = hidden.join(", ");
    this.hiddenInput.removeAttribute("aria-invalid");
    this.syncLayerButtons();
    this.on.structural();
  }

  syncLayerButtons() {
    const n = this.net.hidden.length;
    setText(this.layerCount, "net.layerCount", { n });
    this.removeButton.disabled = n <= 1;
    this.addButton.disabled = n >= LIMITS.layers;
  }

  /** A slider for a value the running network takes at its next step (no restart). */
  valueSlider(name, key) {
    const param = P[name];
    const value = this.net[name] ?? 0;
    return slider({
      param,
      name,
      value,
      scale: param.scale === "log0" ? { scale: "log0", logMin: param.logMin } : { scale: param.scale },
      label: byKey(key),
      onInput: (v) => {
        const stored = name === "max_norm" ? (v > 0 ? Math.max(0.01, v) : null) : v;
        this.net[name] = stored;
        this.on.values({ [name]: stored });
      },
    }).root;
  }

  buildOptimizer() {
    const net = this.net;
    const select = selectField({
      name: "optimizer",
      value: net.optimizer,
      label: byKey("label.optimizer"),
      options: trainableOptimizers(this.catalog).map((o) => ({ value: o.id, label: byCatalog(`optimizer.${o.id}`, o.name) })),
      onChange: (id) => {
        const run = completeRun({ optimizer: id, schedule: net.schedule, clip: net.clip }, this.catalog);
        Object.assign(net, run);
        if (this.optimizer.full_batch_only) net.batch = this.nTrain;
        this.buildOptimizer();
        this.on.structural();
      },
    });
    const sliders = this.optimizer.hyperparameters.map((h) =>
      slider({
        param: h,
        value: net.hyperparameters[h.name],
        label: byCatalog(`hp.${h.name}`, h.title),
        onInput: (v) => {
          net.hyperparameters[h.name] = v;
          this.on.values({ hyperparameters: { ...net.hyperparameters } });
        },
      }).root,
    );
    const fullBatch = this.optimizer.full_batch_only;
    const batch = slider({
      param: { name: "batch", min: 1, max: this.nTrain, default: 32, integer: true, scale: "log" },
      name: "batch",
      value: net.batch,
      label: byKey("label.batch"),
      onInput: (v) => {
        net.batch = v;
        this.on.structural();
      },
    });
    batch.input.disabled = fullBatch;
    const more = el("details", { class: "run-more", open: Boolean(net.schedule || net.clip) });
    this.scheduleBox = el("div", { class: "schedule-box" });
    this.clipBox = el("div", { class: "clip-box" });
    more.append(setText(el("summary"), "run.more"), this.scheduleBox, this.clipBox);
    this.buildSchedule();
    this.buildClip();
    setChildren(this.optimizerBox, select.root, ...sliders, more, batch.root, fullBatch ? setText(el("p", { class: "note" }), "net.fullBatch") : null);
  }

  buildSchedule() {
    const net = this.net;
    if (!this.optimizer.supports_schedule) {
      setChildren(this.scheduleBox, setText(el("p", { class: "note" }), "run.noSchedule"));
      return;
    }
    const current = net.schedule?.name ?? "constant";
    const select = selectField({
      name: "schedule",
      value: current,
      label: byKey("label.schedule"),
      options: this.catalog.schedules.filter((s) => s.name !== "piecewise").map((s) => ({ value: s.name, label: byCatalog(`schedule.${s.name}`, s.title) })),
      onChange: (name) => {
        net.schedule = name === "constant" ? null : completeRun({ optimizer: net.optimizer, schedule: { name } }, this.catalog).schedule;
        this.buildSchedule();
        this.on.values({ schedule: net.schedule ?? { name: "constant" } });
      },
    });
    const sched = this.catalog.schedules.find((s) => s.name === current);
    const params = sched.params.map((p) =>
      slider({
        param: p,
        name: `schedule-${p.name}`,
        value: net.schedule?.[p.name] ?? p.default,
        label: byCatalog(`sched.${p.name}`, p.title),
        scale: p.name === "final" ? { scale: "log0", logMin: 1e-6 } : undefined,
        onInput: (v) => {
          net.schedule[p.name] = v;
          this.on.values({ schedule: { ...net.schedule } });
        },
      }).root,
    );
    setChildren(this.scheduleBox, select.root, ...params);
  }

  buildClip() {
    const net = this.net;
    const mode = net.clip?.mode ?? "none";
    const select = selectField({
      name: "clip",
      value: mode,
      label: byKey("label.clip"),
      options: ["none", ...this.catalog.clip_modes].map((m) => ({ value: m, label: byKey(`clip.${m}`) })),
      onChange: (m) => {
        net.clip = m === "none" ? null : { mode: m, threshold: net.clip?.threshold ?? 1 };
        this.buildClip();
        this.on.values({ clip: net.clip });
      },
    });
    const threshold = mode === "none" ? null : slider({
      param: P.threshold,
      name: "clip-threshold",
      value: net.clip.threshold,
      label: byKey("label.threshold"),
      onInput: (v) => {
        net.clip.threshold = v;
        this.on.values({ clip: { ...net.clip } });
      },
    }).root;
    setChildren(this.clipBox, select.root, threshold);
  }
}
