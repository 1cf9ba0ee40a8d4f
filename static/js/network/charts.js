// The network lab's per-network figures: the data over the decision boundary, loss and accuracy vs
// step (train vs validation), and per-layer statistics vs layer (seed 001's mean/std, seed 002's
// mean |gradient| on a log axis).
/* global Plotly */

import { AXIS, baseLayout, EXPORT_ONLY, plotConfig } from "../plot.js";

export const CURVE_STYLES = { train: { color: "#1b2330", dash: "" }, validation: { color: "#D55E00", dash: "5 3" } };
export const CLASS_COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9"];
const TRAIN = CURVE_STYLES.train.color;
const VAL = CURVE_STYLES.validation.color;
const MEAN = "#0072B2";
const STD = "#D55E00";
const GRAD = "#009E73";
const NO_BAR = EXPORT_ONLY; // small charts: no zoom, only the PNG and SVG downloads
// P(class 1): class 0's blue through white to class 1's orange, light enough for the points to show.
const PROBABILITY_SCALE = [[0, "#7fb3d9"], [0.5, "#f7f7f7"], [1, "#f5c36b"]];
const LIGHT = ["#a9cbe6", "#f5d491", "#9fd9c4", "#e8bdd6", "#eeb48e", "#bfe0f5"];

/** A discrete colour scale for the argmax class of K classes (z = 0 … K−1). */
function classScale(k) {
  const scale = [];
  for (let i = 0; i < k; i++) {
    scale.push([i / k, LIGHT[i % LIGHT.length]], [(i + 1) / k, LIGHT[i % LIGHT.length]]);
  }
  return scale;
}

/** The layout of a map over the data plane: the grid's extent, equal x/y scales. */
function mapLayout(grid, revision) {
  const span = (v) => [v[0], v[v.length - 1]];
  return baseLayout({
    uirevision: revision,
    margin: { l: 34, r: 8, t: 6, b: 26 },
    hovermode: "closest",
    xaxis: { ...AXIS, showgrid: false, range: span(grid.x), constrain: "domain", nticks: 5, tickfont: { size: 12 } },
    yaxis: { ...AXIS, showgrid: false, range: span(grid.y), scaleanchor: "x", scaleratio: 1, constrain: "domain", nticks: 5, tickfont: { size: 12 } },
  });
}

export class BoundaryChart {
  constructor(div) {
    this.div = div;
    this.data = null;
    this.boundary = null;
    this.labels = { train: "train", validation: "validation", cls: (k) => `class ${k}`, p1: "P(class 1)" };
    this.probability = false; // true: the grid holds a probability whatever the class count (MC dropout's mean)
  }

  setLabels(labels) {
    this.labels = { ...this.labels, ...labels };
  }

  /** From the setup frame: {grid: {x, y}, classes, X_train, y_train, X_val, y_val} (Float32Arrays). */
  setData(data) {
    this.data = data;
    this.boundary = null;
  }

  /** The G × G `boundary` array of a chunk. */
  setBoundary(boundary) {
    this.boundary = boundary;
  }

  points(X, y, hollow) {
    const traces = [];
    for (let k = 0; k < this.data.classes; k++) {
      const xs = [];
      const ys = [];
      for (let i = 0; i < y.length; i++) {
        if (y[i] !== k) continue;
        xs.push(X[2 * i]);
        ys.push(X[2 * i + 1]);
      }
      const color = CLASS_COLORS[k % CLASS_COLORS.length];
      traces.push({
        type: "scattergl",
        mode: "markers",
        x: xs,
        y: ys,
        marker: hollow
          ? { symbol: "circle-open", size: 6, color, line: { width: 1.6, color } }
          : { symbol: "circle", size: 6, color, line: { width: 0.8, color: "#ffffff" } },
        hovertemplate: `${hollow ? this.labels.validation : this.labels.train} · ${this.labels.cls(k)}<br>(%{x:.2f}, %{y:.2f})<extra></extra>`,
        meta: { role: hollow ? "val" : "train", cls: k },
      });
    }
    return traces;
  }

  render() {
    if (!this.data) return;
    const { grid, classes } = this.data;
    const traces = [];
    if (this.boundary) {
      const [gy, gx] = this.boundary.shape;
      const z = [];
      for (let i = 0; i < gy; i++) z.push(Array.from(this.boundary.data.subarray(i * gx, (i + 1) * gx)));
      const binary = classes === 2 || this.probability;
      traces.push({
        type: "heatmap",
        x: grid.x,
        y: grid.y,
        z,
        zmin: binary ? 0 : -0.5,
        zmax: binary ? 1 : classes - 0.5,
        zsmooth: binary ? "best" : false,
        colorscale: binary ? PROBABILITY_SCALE : classScale(classes),
        showscale: false,
        hovertemplate: binary ? `${this.labels.p1} %{z:.2f}<extra></extra>` : "%{z}<extra></extra>",
        meta: { role: "boundary" },
      });
    }
    traces.push(...this.points(this.data.X_train, this.data.y_train, false), ...this.points(this.data.X_val, this.data.y_val, true));
    Plotly.react(this.div, traces, mapLayout(grid, "boundary"), plotConfig(NO_BAR));
  }
}

// Spread of the predictive probability: white (certain) to dark purple (uncertain).
const SPREAD_SCALE = [[0, "#ffffff"], [0.35, "#d9c6e6"], [1, "#5b2a86"]];

/** Monte-Carlo dropout's spread: the std of P(class) over the dropout samples, with the training points. */
export class SpreadChart {
  constructor(div) {
    this.div = div;
    this.data = null;
    this.spread = null;
    this.labels = { std: "std", train: "train" };
  }

  setLabels(labels) {
    this.labels = { ...this.labels, ...labels };
  }

  setData(data) {
    this.data = data;
    this.spread = null;
  }

  /** The G × G `std` array of an `mc_dropout` frame ({data, shape}). */
  setSpread(spread) {
    this.spread = spread;
  }

  render() {
    if (!this.data || !this.spread) return;
    const { grid } = this.data;
    const [gy, gx] = this.spread.shape;
    const z = [];
    for (let i = 0; i < gy; i++) z.push(Array.from(this.spread.data.subarray(i * gx, (i + 1) * gx)));
    const X = this.data.X_train;
    const points = { type: "scattergl", mode: "markers", x: [], y: [], marker: { size: 4, color: "#1b2330", opacity: 0.55 }, hoverinfo: "skip", meta: { role: "train" } };
    for (let i = 0; i < X.length; i += 2) {
      points.x.push(X[i]);
      points.y.push(X[i + 1]);
    }
    const traces = [
      { type: "heatmap", x: grid.x, y: grid.y, z, zmin: 0, zmax: 0.5, zsmooth: "best", colorscale: SPREAD_SCALE, colorbar: { thickness: 8, len: 0.9, tickfont: { size: 11 } }, hovertemplate: `${this.labels.std} %{z:.3f}<extra></extra>`, meta: { role: "spread" } },
      points,
    ];
    Plotly.react(this.div, traces, mapLayout(grid, "spread"), plotConfig(NO_BAR));
  }
}

export class CurvesChart {
  constructor(div) {
    this.div = div;
    this.curves = null;
    this.labels = { step: "step", loss: "loss", accuracy: "accuracy", train: "train", validation: "validation" };
  }

  setLabels(labels) {
    this.labels = { ...this.labels, ...labels };
  }

  /** `lossMax`: the largest loss on screen, so two networks share one loss scale. */
  setCurves(curves, lossMax) {
    this.curves = curves;
    this.lossMax = lossMax;
  }

  render() {
    const c = this.curves;
    if (!c) return;
    const line = (y, color, dash, name, axis, role) => ({
      type: "scatter",
      mode: "lines",
      x: c.step,
      y,
      name,
      xaxis: "x",
      yaxis: axis,
      line: { color, width: 2.4, dash },
      hovertemplate: `${name} %{y:.3f}<extra></extra>`,
      meta: { role },
    });
    const traces = [
      line(c.train_loss, TRAIN, "solid", this.labels.train, "y", "train_loss"),
      line(c.val_loss, VAL, "dash", this.labels.validation, "y", "val_loss"),
      line(c.train_accuracy, TRAIN, "solid", this.labels.train, "y2", "train_accuracy"),
      line(c.val_accuracy, VAL, "dash", this.labels.validation, "y2", "val_accuracy"),
    ];
    const last = c.step.at(-1) ?? 0;
    const layout = baseLayout({
      datarevision: `${c.step.length}:${last}`, // the arrays grow in place
      margin: { l: 46, r: 10, t: 8, b: 40 },
      hovermode: "x unified",
      xaxis: { ...AXIS, range: [0, Math.max(10, last)], title: { text: this.labels.step, standoff: 2 }, anchor: "y2", nticks: 5 },
      yaxis: { ...AXIS, domain: [0.54, 1], range: this.lossMax > 0 ? [0, this.lossMax * 1.05] : undefined, autorange: !(this.lossMax > 0), nticks: 4, automargin: true, title: { text: this.labels.loss, standoff: 6 } },
      yaxis2: { ...AXIS, domain: [0, 0.44], range: [0, 1.02], tickformat: ".0%", nticks: 4, automargin: true, title: { text: this.labels.accuracy, standoff: 6 } },
    });
    Plotly.react(this.div, traces, layout, plotConfig(NO_BAR));
  }
}

/** A log axis range of whole decades (at least two) around the positive values, one tick per decade. */
export function decades(values) {
  const logs = values.filter((v) => v > 0 && Number.isFinite(v)).map(Math.log10);
  if (!logs.length) return {};
  let lo = Math.floor(Math.min(...logs));
  let hi = Math.ceil(Math.max(...logs));
  if (hi - lo < 2) [lo, hi] = [lo - (hi - lo < 1 ? 1 : 0), Math.max(hi, lo + 2)];
  return { range: [lo - 0.1, hi + 0.1], dtick: hi - lo > 6 ? 2 : 1 };
}

/** Tick labels of the dense layers: 1 … H, then "out". */
const denseTicks = (n, out) => Array.from({ length: n }, (_, i) => (i === n - 1 ? out : n > 11 && i % 2 ? "" : String(i + 1)));

export class LayerChart {
  /** `side`: the two panels side by side (compare mode) instead of stacked. */
  constructor(div, { side = false } = {}) {
    this.div = div;
    this.side = side;
    this.stats = null;
    this.labels = { layer: "layer", mean: "mean", std: "std", grad: "mean |gradient|", start: "at step 0", out: "out", activations: "activations" };
  }

  setLabels(labels) {
    this.labels = { ...this.labels, ...labels };
  }

  /** `gradValues`: every mean |gradient| on screen, so two networks share one log scale. */
  setStats(stats, gradValues) {
    this.stats = stats;
    this.gradValues = gradValues;
  }

  render() {
    const s = this.stats;
    if (!s) return;
    const hx = s.actMean.map((_, i) => i + 1);
    const dx = s.gradAbsMean.map((_, i) => i + 1);
    const trace = (x, y, color, symbol, name, axes, role, extra = {}) => ({
      type: "scatter",
      mode: "lines+markers",
      x,
      y,
      name,
      xaxis: axes[0],
      yaxis: axes[1],
      line: { color, width: 2.6, ...extra.line },
      marker: { color, size: 7, symbol },
      hovertemplate: `${name} %{y:.3g}<extra></extra>`,
      meta: { role },
      ...extra.trace,
    });
    const traces = [
      trace(hx, s.actMean, MEAN, "circle", this.labels.mean, ["x", "y"], "act_mean"),
      trace(hx, s.actStd, STD, "square", this.labels.std, ["x", "y"], "act_std"),
    ];
    if (s.firstGradAbsMean) {
      traces.push(trace(dx, s.firstGradAbsMean, "#9aa6b5", "circle", this.labels.start, ["x2", "y2"], "grad_start", { line: { dash: "dot", width: 2 } }));
    }
    traces.push(trace(dx, s.gradAbsMean.map((v) => (v > 0 ? v : null)), GRAD, "diamond", this.labels.grad, ["x2", "y2"], "grad_abs_mean"));
    const [d1, d2] = this.side ? [[0, 0.44], [0.56, 1]] : [[0.58, 0.94], [0, 0.36]];
    const axisDomain = (d) => (this.side ? { domain: d } : {});
    const yDomain = (d) => (this.side ? { domain: [0, 0.86] } : { domain: d });
    const swatch = (color, text) => `<span style="color:${color}">${text}</span>`;
    const title = (x, y, text) => ({ xref: "paper", yref: "paper", x, y, xanchor: "left", yanchor: "bottom", showarrow: false, align: "left", text, font: { size: this.side ? 12 : 13 } });
    const [t1, t2] = this.side ? [[0, 0.88], [0.56, 0.88]] : [[0, 0.95], [0, 0.4]];
    const l = this.labels;
    const layout = baseLayout({
      margin: { l: 46, r: 10, t: 6, b: 40 },
      hovermode: "x",
      annotations: [
        title(...t1, `${l.activations}: ${swatch(MEAN, `● ${l.mean}`)}  ${swatch(STD, `■ ${l.std}`)}`),
        title(...t2, `${swatch(GRAD, `◆ ${l.grad}`)}${s.firstGradAbsMean ? `  ${swatch("#7b8794", `┈ ${l.start}`)}` : ""}`),
      ],
      xaxis: { ...AXIS, ...axisDomain(d1), anchor: "y", dtick: hx.length > 10 ? 2 : 1, range: [0.5, hx.length + 0.5], title: this.side ? { text: l.layer, standoff: 2 } : undefined },
      yaxis: { ...AXIS, ...yDomain(d1), anchor: "x", zeroline: true, zerolinecolor: "#9aa6b5", nticks: 4 },
      xaxis2: { ...AXIS, ...axisDomain(d2), anchor: "y2", range: [0.5, dx.length + 0.5], tickvals: dx, ticktext: denseTicks(dx.length, l.out), tickangle: 0, title: { text: l.layer, standoff: 2 } },
      yaxis2: { ...AXIS, ...(this.side ? { domain: [0, 0.86] } : { domain: d2 }), anchor: "x2", type: "log", exponentformat: "power", ...decades(this.gradValues ?? [...s.gradAbsMean, ...(s.firstGradAbsMean ?? [])]) },
    });
    Plotly.react(this.div, traces, layout, plotConfig(NO_BAR));
  }
}
