// Theory beside measurement on the quadratic (as Distill's "Why Momentum Really Works" puts it): for each
// SGD, momentum and Nesterov run, the linear rate ρ theory predicts from the Hessian's eigenvalues, the rate
// measured from the run's own tail, and the optimal ε (and α) with its rate, with a button that sets the
// run's sliders to that optimum; the predicted decay as a dashed line on the loss chart; and momentum's
// terminal-velocity factor 1/(1−α) beside a run card's momentum slider. Numbers come from the server's
// `analytic` block of each run (docs/protocol.md); nothing here computes theory itself.

import { el, setChildren } from "../dom.js";
import { setText, t } from "../i18n.js";
import { setMath } from "../mathml.js";
import { formatNumber, roundSig } from "../numbers.js";

const LOG_FLOOR = Math.log(1e-300); // a dashed line ends where its values would underflow a log axis

/** A rate as it reads best beside another one close to 1: four decimals (0.9487), else short (1.2e3). */
export function formatRate(rate) {
  if (rate === null || rate === undefined) return "–";
  return rate >= 0 && rate < 10 ? rate.toFixed(4) : formatNumber(rate, 4);
}

/**
 * The loss theory predicts for a run: f ∝ ρ²ᵗ (the distance shrinks like ρᵗ and f is quadratic in it),
 * through the crests of the run's loss over the steps the rate was measured on (else through its first
 * loss), as [[t, f]] points of a straight line on a log axis over 0…`steps`. Null when there is no rate or
 * theory does not describe the run (`applies` false).
 */
export function predictedLoss(run, steps) {
  const analytic = run.analytic;
  if (!analytic?.applies || !(analytic.predicted_rate > 0) || !run.loss?.length) return null;
  const logRho2 = 2 * Math.log(analytic.predicted_rate);
  const [a, b] = analytic.measured_steps ?? [0, 0];
  let anchor = -Infinity;
  for (let k = a; k <= Math.min(b, run.loss.length - 1); k++) {
    const f = run.loss[k];
    if (f > 0) anchor = Math.max(anchor, Math.log(f) - k * logRho2);
  }
  if (!Number.isFinite(anchor)) return null;
  let end = steps;
  if (logRho2 < 0) end = Math.min(steps, Math.max(1, Math.floor((LOG_FLOOR - anchor) / logRho2)));
  if (logRho2 > 0) end = Math.min(steps, Math.max(1, Math.floor((-LOG_FLOOR - anchor) / logRho2)));
  return [0, end].map((k) => [k, Math.exp(anchor + k * logRho2)]);
}

/** What keeps theory from describing a run exactly: its schedule, the gradient noise, its clipping. */
function departures(run, sigma) {
  const what = [];
  if (run.schedule && run.schedule.name !== "constant") what.push("theory.schedule");
  if (sigma > 0) what.push("theory.noise");
  if (run.clip) what.push("theory.clip");
  return what;
}

export class TheoryPanel {
  /**
   * `card`: the panel's figure (shown on the quadratic only); `lab`: the surface lab ({state, paths,
   * concealed, runName(run, i), runList.styleOf(i)}); `on.useOptimum(index, hyperparameters)`.
   */
  constructor(card, root, lab, on) {
    this.card = card;
    this.root = root;
    this.lab = lab;
    this.on = on;
    this.key = null;
  }

  /** After new paths, a run or the language changed: rebuilt only when what it shows changed. */
  update(force = false) {
    const lab = this.lab;
    const active = lab.state.surface === "quadratic" && !lab.concealed && Boolean(lab.paths);
    this.card.classList.toggle("inactive", !active);
    if (!active) {
      this.key = null;
      return;
    }
    const runs = lab.paths.runs.map((run, i) => ({ run, i })).filter(({ run }) => run.analytic);
    const key = JSON.stringify([
      runs.map(({ run, i }) => [i, run.analytic, run.schedule, run.clip, lab.runName(run, i), lab.runList.styleOf(i), lab.state.runs[i]?.hyperparameters]),
      lab.state.sigma,
    ]);
    if (key === this.key && !force) return;
    this.key = key;
    if (!runs.length) {
      setChildren(this.root, setText(el("p", { class: "note theory-none" }), "theory.none"));
      return;
    }
    const { condition_number: kappa, eigenvalues } = runs[0].run.analytic;
    const head = setText(el("p", { class: "theory-kappa" }), "theory.kappa", {
      kappa: formatNumber(kappa, 4),
      l1: formatNumber(eigenvalues[0], 4),
      l2: formatNumber(eigenvalues[eigenvalues.length - 1], 4),
    });
    setChildren(this.root, head, ...runs.map(({ run, i }) => this.runEntry(run, i)));
  }

  runEntry(run, i) {
    const lab = this.lab;
    const a = run.analytic;
    const style = lab.runList.styleOf(i);
    const swatch = el("span", { class: "theory-swatch", "aria-hidden": "true" }, String(i + 1));
    const optimal = { learning_rate: roundSig(a.optimal.learning_rate, 6) };
    if (a.optimal.momentum !== null && a.optimal.momentum !== undefined) optimal.momentum = roundSig(a.optimal.momentum, 6);
    const current = lab.state.runs[i]?.hyperparameters ?? {};
    const atOptimum = lab.state.runs[i]?.optimizer === run.optimizer && Object.entries(optimal).every(([k, v]) => Math.abs((current[k] ?? NaN) - v) <= 1e-6 * Math.abs(v));
    const use = setText(el("button", { type: "button", class: "button small theory-use", disabled: atOptimum }), "theory.use");
    use.dataset.i18nTitle = "theory.useLabel";
    use.setAttribute("data-i18n-args", JSON.stringify({ n: i + 1 }));
    use.title = t("theory.useLabel", { n: i + 1 });
    use.addEventListener("click", () => this.on.useOptimum(i, optimal));
    const name = el("span", { class: "theory-name" }, lab.runName(run, i));

    const predicted = fact("theory.predicted", formatRate(a.predicted_rate), null);
    predicted.classList.toggle("diverges", !a.converges);
    let measuredSub = setText(el("dd", { class: "theory-sub" }), "theory.fewPoints");
    if (a.measured_rate !== null && a.measured_steps) {
      const gap = (100 * Math.abs(a.measured_rate - a.predicted_rate)) / a.predicted_rate;
      measuredSub = [
        setText(el("dd", { class: "theory-sub" }), "theory.steps", { a: a.measured_steps[0], b: a.measured_steps[1] }),
        setText(el("dd", { class: "theory-sub theory-gap" }), "theory.gap", { gap: gap < 0.01 ? "< 0.01" : formatNumber(gap, 2) }),
      ];
    }
    const measured = fact("theory.measured", formatRate(a.measured_rate), measuredSub);
    const optimum = el(
      "div",
      { class: "theory-fact optimum" },
      setText(el("dt"), "theory.optimum"),
      el("dd", {}, `ε* = ${formatNumber(optimal.learning_rate, 3)}`),
      "momentum" in optimal ? el("dd", {}, `α* = ${formatNumber(optimal.momentum, 3)}`) : null,
      setText(el("dd", { class: "theory-sub" }), "theory.optimumGives", { rate: formatRate(a.optimal.rate) }),
    );
    const notes = [];
    if (!a.converges) notes.push(setText(el("p", { class: "note theory-note diverges" }), "theory.diverges"));
    const what = departures(run, lab.state.sigma);
    if (!a.applies && what.length) {
      const list = what.map((key) => t(key)).join(t("theory.join"));
      notes.push(setText(el("p", { class: "note theory-note" }), "theory.notApplies", { what: list }));
    }
    const entry = el(
      "article",
      {
        class: "theory-run",
        dataset: {
          run: String(i),
          predicted: String(a.predicted_rate),
          measured: String(a.measured_rate ?? ""),
          applies: String(a.applies),
        },
      },
      el("div", { class: "theory-head" }, swatch, name, use),
      el("dl", { class: "theory-facts" }, predicted, measured, optimum),
      ...notes,
    );
    entry.style.setProperty("--run-color", style.color);
    return entry;
  }
}

function fact(key, value, sub) {
  return el("div", { class: "theory-fact" }, setText(el("dt"), key), el("dd", { class: "theory-value" }, value), sub);
}

/**
 * Momentum's terminal velocity beside its slider: under a constant gradient g the velocity settles where
 * v = αv − εg, so each step is 1/(1−α) times ε‖g‖. `mathml`: the catalog's formula of the factor.
 */
export class TerminalVelocity {
  constructor(mathml) {
    const math = el("span", { class: "tv-math" });
    setMath(math, mathml);
    for (const node of math.querySelectorAll("math")) node.setAttribute("display", "inline");
    this.value = el("span", { class: "tv-value" });
    this.caption = el("span", { class: "tv-caption" });
    this.root = el("div", { class: "terminal-velocity" }, el("span", { class: "tv-line" }, setText(el("span", { class: "tv-name" }), "tv.name"), math, this.value), this.caption);
  }

  /** The momentum α now (live while its slider moves). */
  set(alpha) {
    const factor = 1 / (1 - alpha);
    const text = Number.isFinite(factor) ? formatNumber(factor, 3) : "∞";
    this.value.textContent = `= ${text}×`;
    this.root.dataset.factor = String(factor);
    setText(this.caption, "tv.caption", { factor: text });
  }
}
