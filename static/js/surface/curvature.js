// The curvature panel: the Hessian where the mouse is on the map (else at the chosen run's current point):
// its eigenvalues, the kind of point, the condition number and the eigenvectors drawn as arrows on the
// map; and the second-order check of one gradient step of the run's ε as two bars, red when the step
// would raise the loss. Asks the server through a PointProbe (one request in flight), so neither the
// mouse nor the animation ever waits for it.

import { el, setChildren } from "../dom.js";
import { setText } from "../i18n.js";
import { formatNumber, formatPoint, roundSig } from "../numbers.js";
import { byKey, selectField } from "../widgets.js";
import { doubleArrowPath, eigenArrows, secondOrderBars } from "./curvaturemodel.js";
import { PointProbe } from "./probe.js";

const SUBSCRIPTS = ["₁", "₂"];
const REACH = 0.1; // the flattest eigenvector's half-length, as a share of the view's shorter side
const PLAYBACK_MS = 100; // during playback, ask about the run's point at most ten times a second

export class CurvaturePanel {
  /**
   * `lab`: the surface lab ({state, paths, concealed, surfaceSpec(), pathsOnSurface(), runName(run, i),
   * runList.styleOf(i)});
   * `contour`: the ContourChart the arrows are drawn on.
   */
  constructor(root, lab, contour) {
    this.root = root;
    this.lab = lab;
    this.contour = contour;
    this.runIndex = 0;
    this.hover = null;
    this.shown = null; // {body, answer, target} of the answer on display
    this.lastRunAsk = 0;
    this.timer = 0;
    this.probe = new PointProbe({
      onAnswer: (body, answer, target) => this.show(body, answer, target),
      onError: (body, message) => this.fail(message),
    });
    this.build();
  }

  build() {
    this.runField = selectField({ name: "curvature-run", value: "0", label: byKey("curv.run"), options: [], onChange: (v) => this.pickRun(Number(v)) });
    this.where = el("p", { class: "curv-where", "aria-live": "polite" });
    this.facts = el("dl", { class: "curv-facts" });
    this.arrowsNote = setText(el("p", { class: "note curv-arrows" }), "curv.arrows");
    this.checkTitle = el("p", { class: "curv-check-title" });
    this.firstBar = bar("first");
    this.secondBar = bar("second");
    this.bars = el("div", { class: "curv-bars" }, this.firstBar.root, this.secondBar.root);
    this.verdict = el("p", { class: "curv-verdict", role: "status" });
    this.actual = el("p", { class: "curv-actual" });
    this.disagree = setText(el("p", { class: "note curv-disagree", hidden: true }), "curv.disagree");
    this.message = el("p", { class: "note invalid curv-message", role: "alert", hidden: true });
    this.body = el(
      "div",
      { class: "curv-body", hidden: true },
      el("div", { class: "curv-point" }, this.where, this.facts, this.arrowsNote),
      el("div", { class: "curv-check" }, this.checkTitle, this.bars, this.verdict, this.actual, this.disagree),
    );
    this.waiting = setText(el("p", { class: "note curv-waiting" }), "curv.waiting");
    setChildren(this.root, this.runField.root, this.waiting, this.message, this.body);
    this.runsChanged();
  }

  /** The run list changed: the run choices follow. */
  runsChanged() {
    const runs = this.lab.state.runs;
    this.runIndex = Math.max(0, Math.min(this.runIndex, runs.length - 1));
    const names = runs.map((run, i) => this.lab.runName(run, i));
    if (JSON.stringify(names) !== this.runNames) {
      this.runNames = JSON.stringify(names);
      setChildren(this.runField.select, names.map((name, i) => el("option", { value: String(i) }, name)));
    }
    this.runField.select.value = String(this.runIndex);
    this.follow();
  }

  pickRun(index) {
    this.runIndex = index;
    this.follow();
  }

  /** The mouse is over the map at [x, y], or left it (null). */
  setHover(point) {
    this.hover = point;
    this.follow();
  }

  /** What to ask about now: the hovered point, else the chosen run's point at the timeline cursor. */
  target() {
    const lab = this.lab;
    const i = this.runIndex;
    const run = lab.state.runs[i];
    if (!run) return null;
    // Paths of another surface (a typed one just replaced, its runs not back yet) say nothing about this one.
    const path = lab.concealed || !lab.pathsOnSurface() ? null : lab.paths?.runs[i];
    const step = path ? Math.max(0, Math.min(lab.state.cursor, path.x.length - 1)) : 0;
    const scheduled = path?.series?.learning_rate?.data;
    const rate = scheduled?.length ? roundSig(scheduled[Math.min(step, scheduled.length - 1)], 6) : run.hyperparameters.learning_rate;
    const base = { run: i, step, rate, scheduled: Boolean(scheduled?.length) };
    if (this.hover) return { ...base, source: "mouse", point: this.hover.map((v) => roundSig(v, 5)) };
    if (!path?.x.length) return null;
    return { ...base, source: "run", point: [path.x[step], path.y[step]].map((v) => roundSig(v, 7)) };
  }

  /** Ask for the current target (a repeat of the last ask is dropped by the probe); the mouse at once,
   * the playing run's point at most every PLAYBACK_MS (the last call always lands). Nothing while a
   * lesson's question is open: the check would tell whether the run's ε is too large. */
  follow() {
    if (this.lab.concealed) {
      this.clear();
      return;
    }
    if (!this.hover) {
      const wait = this.lastRunAsk + PLAYBACK_MS - performance.now();
      if (wait > 0) {
        this.timer ||= setTimeout(() => {
          this.timer = 0;
          this.follow();
        }, wait);
        return;
      }
      this.lastRunAsk = performance.now();
    }
    const target = this.target();
    if (!target || !target.point.every(Number.isFinite)) {
      this.clear();
      return;
    }
    const body = { surface: this.lab.surfaceSpec(), point: target.point, learning_rate: target.rate };
    if (this.shown && JSON.stringify(body) === JSON.stringify(this.shown.body)) {
      this.shown.target = target; // the same point, seen from elsewhere (a later step of a run at rest)
      this.renderFacts();
    }
    this.probe.ask(body, target);
  }

  clear() {
    this.shown = null;
    this.body.hidden = true;
    this.message.hidden = true;
    this.waiting.hidden = false;
    this.contour.setOverlay();
  }

  fail(message) {
    this.shown = null;
    this.body.hidden = true;
    this.waiting.hidden = true;
    setText(this.message, "curv.error", { message });
    this.message.hidden = false;
    this.contour.setOverlay();
  }

  show(body, answer, target) {
    this.shown = { body, answer, target };
    this.waiting.hidden = true;
    this.message.hidden = true;
    this.body.hidden = false;
    this.renderFacts();
    this.drawArrows();
  }

  renderFacts() {
    const { answer, target, body } = this.shown;
    const [x, y] = formatPoint(target.point);
    if (target.source === "mouse") setText(this.where, "curv.atMouse", { x, y });
    else setText(this.where, "curv.atRun", { n: target.run + 1, k: target.step, x, y });
    const eigen = answer.eigenvalues.map((lambda, k) =>
      fact(`curv.eigen`, { i: SUBSCRIPTS[k] }, [el("span", { class: `curv-swatch ${lambda < 0 ? "down" : "up"}`, "aria-hidden": "true" }), formatNumber(lambda, 4)]),
    );
    const kind = fact("curv.kind", {}, [setText(el("span", { class: "curv-kind" }), `curv.kind.${answer.kind}`)]);
    const condition =
      answer.condition_number === null ? setText(el("span"), "curv.conditionNone") : el("span", {}, formatNumber(answer.condition_number, 4));
    setChildren(this.facts, ...eigen, kind, fact("curv.condition", {}, [condition]));
    this.root.dataset.kind = answer.kind;

    const rate = formatNumber(body.learning_rate, 4);
    setText(this.checkTitle, "curv.check", { rate: target.scheduled ? { key: "curv.rateAt", args: { rate, k: target.step } } : rate });
    const bars = secondOrderBars(answer);
    this.firstBar.set("curv.first", bars.first, answer.first_order);
    this.secondBar.set(bars.negative ? "curv.secondNegative" : "curv.second", bars.second, answer.second_order);
    this.bars.dataset.raises = String(bars.raises);
    this.root.dataset.raises = String(bars.raises);
    setText(this.verdict, bars.raises ? "curv.raises" : "curv.lowers", { predicted: signed(answer.predicted_change) });
    this.verdict.classList.toggle("raises", bars.raises);
    const actual = answer.actual_change;
    if (actual === null) setText(this.actual, "curv.actualNone");
    else setText(this.actual, "curv.actual", { actual: signed(actual) });
    this.actual.classList.toggle("raises", actual === null || actual > 0);
    this.disagree.hidden = actual === null || actual === 0 || actual > 0 === bars.raises;
  }

  /** The eigenvectors through the point, on the map (and the point itself, ringed). */
  drawArrows() {
    if (!this.shown) return;
    const { answer, target } = this.shown;
    const [xr, yr] = this.viewRanges();
    const reach = REACH * Math.min(Math.abs(xr[1] - xr[0]), Math.abs(yr[1] - yr[0]));
    const arrows = eigenArrows(answer, target.point, reach);
    const shapes = [];
    const annotations = [];
    for (const arrow of arrows) {
      const path = doubleArrowPath(arrow);
      shapes.push({ type: "path", xref: "x", yref: "y", path, line: { color: "rgba(255,255,255,0.9)", width: 6 }, layer: "above" });
      shapes.push({ type: "path", xref: "x", yref: "y", path, line: { color: arrow.color, width: 3 }, layer: "above" });
      const dx = arrow.x1 - target.point[0];
      const dy = arrow.y1 - target.point[1];
      annotations.push({
        x: arrow.x1 + dx * 0.32,
        y: arrow.y1 + dy * 0.32,
        xref: "x",
        yref: "y",
        text: `λ${SUBSCRIPTS[arrow.index]}`,
        showarrow: false,
        font: { size: 14, color: arrow.color },
        bgcolor: "rgba(255,255,255,0.85)",
        borderpad: 1,
      });
    }
    shapes.push({
      type: "circle",
      xref: "x",
      yref: "y",
      xsizemode: "pixel",
      ysizemode: "pixel",
      xanchor: target.point[0],
      yanchor: target.point[1],
      x0: -5,
      x1: 5,
      y0: -5,
      y1: 5,
      fillcolor: "#ffffff",
      line: { color: "#111827", width: 2 },
      layer: "above",
    });
    this.contour.setOverlay({ shapes, annotations });
  }

  /** The map's visible x and y ranges (zoomed or not). */
  viewRanges() {
    const full = this.contour.div._fullLayout;
    if (full?.xaxis?.range) return [full.xaxis.range, full.yaxis.range];
    return this.lab.surface?.domain ?? [[-2, 2], [-2, 2]];
  }

  relabel() {
    if (this.shown) this.renderFacts();
  }
}

/** A change with its sign: +1.22, −0.05. */
function signed(value) {
  return value > 0 ? `+${formatNumber(value, 3)}` : formatNumber(value, 3);
}

/** One fact of the list: a translated term and its value nodes. */
function fact(key, args, value) {
  return el("div", { class: "curv-fact" }, setText(el("dt"), key, args), el("dd", {}, ...value));
}

/** One bar of the second-order check: its label, the bar and its value. */
function bar(name) {
  const label = el("span", { class: "curv-bar-label" });
  const fill = el("span", { class: "curv-bar-fill" });
  const value = el("span", { class: "curv-bar-value" });
  const root = el("div", { class: `curv-bar ${name}`, dataset: { bar: name } }, label, el("span", { class: "curv-bar-track", "aria-hidden": "true" }, fill), value);
  return {
    root,
    set(key, share, number) {
      setText(label, key);
      fill.style.width = `${(100 * share).toFixed(1)}%`;
      value.textContent = formatNumber(number, 3);
      root.dataset.share = String(share);
    },
  };
}
