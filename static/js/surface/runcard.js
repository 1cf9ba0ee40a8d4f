// One run's card: optimizer, its update rule (MathML from the catalog), a slider per hyperparameter,
// schedule and clipping, colour and status. Emits whole runs; knows nothing about the socket.

import { el, setChildren } from "../dom.js";
import { catalogText, setText, t } from "../i18n.js";
import { setMath } from "../mathml.js";
import { formatNumber } from "../numbers.js";
import { switchOptimizer } from "../state.js";
import { byCatalog, byKey, selectField, slider, textField } from "../widgets.js";
import { RatePreview } from "./ratepreview.js";
import { TerminalVelocity } from "./theory.js";

const CLIP_RANGE = { min: 1e-6, max: 1e6, default: 1 };
const CLIP_SCALE = { scale: "log", min: 1e-3, max: 1e3 };
const SCHEDULE_SCALES = { final: { scale: "log0", logMin: 1e-6 } };
const REASONS = {
  "the loss, the point or the gradient became NaN or infinite": "reason.nan",
  "the point left the region |x|, |y| ≤ 1e6": "reason.range",
};

export class RunCard {
  /** onChange(run): the whole new run; onRemove(): the remove button. */
  constructor({ catalog, run, index, color, dash, onChange, onRemove, steps }) {
    this.catalog = catalog;
    this.run = run;
    this.steps = steps;
    this.onChange = onChange;
    this.onRemove = onRemove;
    this.preview = new RatePreview(); // ε(t) of a scheduled run, as the run used it
    this.title = el("h3", { class: "run-title sr-only" });
    this.swatch = el("span", { class: "swatch", "aria-hidden": "true" });
    this.removeButton = el("button", { type: "button", class: "icon-button remove", on: { click: () => this.onRemove() } }, "✕");
    this.status = el("p", { class: "run-status", role: "status" });
    this.body = el("div", { class: "run-body" });
    this.head = el("div", { class: "run-head" }, this.swatch, this.title);
    this.root = el("article", { class: "run-card" }, this.head, this.body, this.status);
    this.setIndex(index, color, dash);
    this.build();
    this.setPending();
  }

  get spec() {
    return this.catalog.optimizers.find((o) => o.id === this.run.optimizer);
  }

  setIndex(index, color, dash) {
    this.index = index;
    this.root.style.setProperty("--run-color", color);
    this.root.dataset.run = String(index);
    this.root.classList.toggle("dashed", dash !== "solid");
    setText(this.title, "run.title", { n: index + 1 });
    this.swatch.textContent = String(index + 1);
    this.removeButton.dataset.i18nAriaLabel = "btn.removeRun";
    this.removeButton.setAttribute("data-i18n-args", JSON.stringify({ n: index + 1 }));
    this.removeButton.setAttribute("aria-label", t("btn.removeRun", { n: index + 1 }));
    this.removeButton.dataset.i18nTitle = "btn.removeRun";
    this.removeButton.title = t("btn.removeRun", { n: index + 1 });
  }

  setRemovable(removable) {
    this.removeButton.disabled = !removable;
  }

  emit() {
    this.onChange(this.run);
  }

  build() {
    const spec = this.spec;
    const optimizer = selectField({
      name: "optimizer",
      value: this.run.optimizer,
      label: byKey("label.optimizer"),
      options: this.catalog.optimizers.map((o) => ({ value: o.id, label: byCatalog(`optimizer.${o.id}`, o.name) })),
      onChange: (id) => {
        this.run = switchOptimizer(this.run, id, this.catalog);
        this.build();
        this.emit();
      },
    });
    optimizer.root.classList.add("field-optimizer");
    setChildren(this.head, this.swatch, this.title, optimizer.root, this.removeButton);

    const rule = el("div", { class: "rule" });
    setMath(rule, ...spec.formula.map((f) => f.mathml));
    rule.setAttribute("role", "img");
    rule.dataset.i18nAriaLabel = "run.rule";
    this.rule = rule;
    this.labelRule();
    const reference = el("p", { class: "reference" }, spec.reference);

    // Momentum's terminal velocity 1/(1−α) under its slider (the catalog names the methods and the slider).
    const velocity = spec.terminal_velocity ?? null;
    this.velocity = velocity ? new TerminalVelocity(velocity.mathml) : null;
    const fields = spec.hyperparameters.map((h) =>
      slider({
        param: h,
        value: this.run.hyperparameters[h.name],
        label: byCatalog(`hp.${h.name}`, h.title),
        onInput: (v) => {
          this.run.hyperparameters[h.name] = v;
          if (h.name === velocity?.hyperparameter) this.velocity.set(v);
          this.emit();
        },
      }),
    );
    const velocityField = fields.find((_, i) => spec.hyperparameters[i].name === velocity?.hyperparameter);
    if (velocityField) {
      velocityField.root.append(this.velocity.root);
      this.velocity.set(this.run.hyperparameters[velocity.hyperparameter]);
    }
    const sliders = fields.map((f) => f.root);
    this.rateField = fields.find((_, i) => spec.hyperparameters[i].name === "learning_rate") ?? null;
    this.rateNote = setText(el("p", { class: "note rate-note", hidden: true }), "run.rateFromSchedule");
    this.rateField?.root.append(this.rateNote);

    const more = el("details", { class: "run-more", open: Boolean(this.run.schedule || this.run.clip) });
    const summary = el("summary", {});
    setText(summary, "run.more");
    this.scheduleBox = el("div", { class: "schedule-box" });
    this.clipBox = el("div", { class: "clip-box" });
    more.append(summary, this.scheduleBox, this.clipBox);
    this.buildSchedule();
    this.buildClip();
    setChildren(this.body, rule, reference, ...sliders, more);
  }

  buildSchedule() {
    if (!this.spec.supports_schedule) {
      setChildren(this.scheduleBox, setText(el("p", { class: "note" }), "run.noSchedule"));
      return;
    }
    const current = this.run.schedule?.name ?? "constant";
    const select = selectField({
      name: "schedule",
      value: current,
      label: byKey("label.schedule"),
      options: this.catalog.schedules.map((s) => ({ value: s.name, label: byCatalog(`schedule.${s.name}`, s.title) })),
      onChange: (name) => {
        this.run.schedule = name === "constant" ? null : this.defaultSchedule(name);
        this.buildSchedule();
        this.emit();
      },
    });
    const sched = this.catalog.schedules.find((s) => s.name === current);
    const formula = el("div", { class: "rule rule-small" });
    setMath(formula, sched.formula.mathml);
    const params = sched.params.map((p) =>
      slider({
        param: p,
        name: `schedule-${p.name}`,
        value: this.run.schedule?.[p.name] ?? p.default,
        label: byCatalog(`sched.${p.name}`, p.title),
        scale: SCHEDULE_SCALES[p.name],
        onInput: (v) => {
          this.run.schedule[p.name] = v;
          this.emit();
        },
      }).root,
    );
    if (current === "piecewise") params.push(...this.piecewiseFields());
    const constant = current === "constant";
    setChildren(this.scheduleBox, select.root, constant ? null : formula, ...params, constant ? null : this.preview.root);
    this.showRateSource(current === "piecewise");
  }

  /** The rule's spoken label, with the optimizer's name in the page's language (again after a switch). */
  labelRule() {
    const name = catalogText(`optimizer.${this.spec.id}`, this.spec.name);
    this.rule.setAttribute("data-i18n-args", JSON.stringify({ name }));
    this.rule.setAttribute("aria-label", t("run.rule", { name }));
  }

  /** A piecewise schedule gives every rate itself: ε₀ then has no effect, so its slider says so. */
  showRateSource(fromSchedule) {
    if (!this.rateField) return;
    this.rateField.input.disabled = fromSchedule;
    this.rateField.root.classList.toggle("overridden", fromSchedule);
    this.rateNote.hidden = !fromSchedule;
  }

  defaultSchedule(name) {
    const sched = this.catalog.schedules.find((s) => s.name === name);
    const schedule = { name };
    for (const p of sched.params) schedule[p.name] = p.default;
    if (name === "piecewise") {
      const lr = this.run.hyperparameters.learning_rate ?? 0.01;
      schedule.boundaries = [Math.max(1, Math.round(this.steps / 2))];
      schedule.values = [lr, Number((lr / 10).toPrecision(3))];
    }
    return schedule;
  }

  piecewiseFields() {
    const message = el("p", { class: "note invalid", hidden: true });
    setText(message, "schedule.invalid");
    const parse = (text) => text.split(/[,\s]+/).filter(Boolean).map(Number);
    const draft = { boundaries: this.run.schedule.boundaries.join(", "), values: this.run.schedule.values.join(", ") };
    const onInput = (key) => (text, input) => {
      draft[key] = text;
      const boundaries = parse(draft.boundaries);
      const values = parse(draft.values);
      const ok =
        boundaries.length >= 1 && boundaries.length <= 8 && values.length === boundaries.length + 1 &&
        [...boundaries, ...values].every(Number.isFinite) && boundaries.every((b, i) => b >= 1 && (i === 0 || b > boundaries[i - 1])) &&
        values.every((v) => v >= 0 && v <= 10);
      input.setAttribute("aria-invalid", String(!ok));
      message.hidden = ok;
      if (!ok) return;
      Object.assign(this.run.schedule, { boundaries, values });
      this.emit();
    };
    return [
      textField({ name: "boundaries", value: draft.boundaries, label: byKey("label.boundaries"), onInput: onInput("boundaries") }).root,
      textField({ name: "values", value: draft.values, label: byKey("label.values"), onInput: onInput("values") }).root,
      message,
    ];
  }

  buildClip() {
    const mode = this.run.clip?.mode ?? "none";
    const select = selectField({
      name: "clip",
      value: mode,
      label: byKey("label.clip"),
      options: ["none", ...this.catalog.clip_modes].map((m) => ({ value: m, label: byKey(`clip.${m}`) })),
      onChange: (m) => {
        this.run.clip = m === "none" ? null : { mode: m, threshold: this.run.clip?.threshold ?? CLIP_RANGE.default };
        this.buildClip();
        this.emit();
      },
    });
    const threshold =
      mode === "none"
        ? null
        : slider({
            param: { name: "threshold", ...CLIP_RANGE },
            name: "clip-threshold",
            scale: CLIP_SCALE,
            value: this.run.clip.threshold,
            label: byKey("label.threshold"),
            onInput: (v) => {
              this.run.clip.threshold = v;
              this.emit();
            },
          }).root;
    setChildren(this.clipBox, select.root, threshold);
  }

  setPending() {
    this.root.dataset.status = "pending";
    setText(this.status, "status.pending");
  }

  /** The rates ε_t the run used (its `learning_rate` series; null without a schedule) over `steps` steps. */
  setRates(rates, steps) {
    this.preview.draw(rates, steps);
  }

  /** From a `paths` header's run entry: {status, final_loss, diverged_at, reason}. */
  setStatus(meta) {
    this.root.dataset.status = meta.status;
    if (meta.status === "diverged") {
      const key = REASONS[meta.reason];
      setText(this.status, "status.diverged", { step: meta.diverged_at, reason: key ? { key } : meta.reason });
    } else {
      setText(this.status, "status.ok", { loss: formatNumber(meta.final_loss) });
    }
  }
}
