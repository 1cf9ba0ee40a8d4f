// Plotly chart classes with narrow methods: the contour map with the runs' paths, and loss vs step.
/* global Plotly */

import { formatNumber } from "../numbers.js";
import { AXIS, FONT, followWidth, plotConfig as config } from "../plot.js";

// Light, low-saturation fill so the coloured paths carry the eye; the valley floor is darkest.
const SURFACE_SCALE = [[0, "#5f7c9e"], [0.3, "#93abc6"], [0.6, "#c3d1e1"], [0.82, "#e2e9f1"], [1, "#fafbfd"]];

/** The values the contour is drawn from: log10(z − min + 1e-3) for log-spaced levels, else z. A null
 * cell (a custom surface undefined there) stays null: a gap in the map. */
export function contourLevels(z, logLevels) {
  if (!logLevels) return z;
  let min = Infinity;
  for (const row of z) for (const v of row) if (v !== null && v < min) min = v;
  return z.map((row) => row.map((v) => (v === null ? null : Math.log10(v - min + 1e-3))));
}

/** Whether a domain ([[x0, x1], [y0, y1]]) is wide enough that the map gets the whole row (cliff, plateau:
 * 10 × 4); at equal x/y scales a half-width map of such a surface would be a thin strip. */
export function isWideDomain([xr, yr]) {
  return (xr[1] - xr[0]) / (yr[1] - yr[0]) >= 1.8;
}

export class ContourChart {
  /** `onPickStart([x, y], {final})`: the user clicked the map or is dragging the start marker.
   * `onHover([x, y] | null)`: the mouse moved over the plot area (null: it left), at most once a frame.
   * `onZoom()`: the visible ranges changed (zoom, pan, reset). */
  constructor(div, { onPickStart, onHover, onZoom } = {}) {
    this.div = div;
    this.onPickStart = onPickStart;
    this.onHover = onHover;
    this.onZoom = onZoom;
    this.surfaceTrace = null;
    this.surface = null;
    this.paths = [];
    this.start = null;
    this.cursor = [];
    this.field = null; // the gradient-field trace, when shown
    this.overlay = { shapes: [], annotations: [] }; // drawn over the map without recomputing it
    this.labels = { minimum: "minimum", start: "start", step: "step %{pointNumber}", diverged: () => "", finalLoss: String };
    this.rendered = false;
    this.listen();
    window.addEventListener("resize", () => this.fitHeight());
    followWidth(div, () => this.fitHeight());
  }

  /** Size the plot to the surface's aspect ratio (equal x/y scales), within the window's height. */
  fitHeight() {
    if (!this.surface) return;
    const [xr, yr] = this.surface.domain;
    const plotWidth = this.div.clientWidth - 66;
    const most = Math.max(360, Math.min(660, window.innerHeight - 220));
    const height = Math.max(280, Math.min(most, (plotWidth * (yr[1] - yr[0])) / (xr[1] - xr[0]) + 58));
    this.div.style.height = `${Math.round(height)}px`;
  }

  /** The surface (catalog entry) and its grid from POST /api/v1/surface-grid. */
  setSurface(surface, grid) {
    this.surface = surface;
    const text = grid.z.map((row) => row.map((v) => formatNumber(v, 4)));
    this.surfaceTrace = {
      type: "contour",
      x: grid.x,
      y: grid.y,
      z: contourLevels(grid.z, grid.log_levels),
      text,
      ncontours: 26,
      colorscale: SURFACE_SCALE,
      reversescale: false,
      showscale: false,
      contours: { coloring: "fill", showlines: true },
      line: { color: "rgba(30, 41, 59, 0.32)", width: 0.8, smoothing: 0 },
      hovertemplate: "x = %{x:.3f}<br>y = %{y:.3f}<br>f = %{text}<extra></extra>",
      meta: { role: "surface" },
    };
  }

  /** Runs: [{x, y, color, dash, name, status, diverged_at}] (x, y: the whole path). */
  setPaths(runs) {
    this.paths = runs;
  }

  setStart(point) {
    this.start = point;
  }

  setLabels(labels) {
    this.labels = { ...this.labels, ...labels };
  }

  /** Markers at the timeline cursor: [{x, y, color}] (layout shapes: redrawn without recomputing). */
  setCursor(points) {
    this.cursor = points;
    if (this.rendered) Plotly.relayout(this.div, { shapes: this.shapes() });
  }

  /** A line trace drawn over the map under the paths (the gradient field), or null; shown at the next render. */
  setField(trace) {
    this.field = trace;
  }

  /** Shapes and annotations over the map (eigenvector arrows and their labels), redrawn at once. */
  setOverlay({ shapes = [], annotations = [] } = {}) {
    this.overlay = { shapes, annotations };
    if (this.rendered) Plotly.relayout(this.div, { shapes: this.shapes(), annotations });
  }

  shapes() {
    return [...this.cursorShapes(), ...this.overlay.shapes];
  }

  cursorShapes() {
    return this.cursor
      .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y))
      .map((p) => ({
        type: "circle",
        xref: "x",
        yref: "y",
        xsizemode: "pixel",
        ysizemode: "pixel",
        xanchor: p.x,
        yanchor: p.y,
        x0: -7,
        x1: 7,
        y0: -7,
        y1: 7,
        fillcolor: p.color,
        line: { color: "#ffffff", width: 2.5 },
        layer: "above",
      }));
  }

  traces() {
    const traces = [];
    if (this.surfaceTrace) traces.push(this.surfaceTrace);
    if (this.field) traces.push(this.field);
    // All white halos first, then the coloured lines: no halo ever hides another run's line.
    this.paths.forEach((run, i) => {
      traces.push({ type: "scatter", mode: "lines", x: run.x, y: run.y, hoverinfo: "skip", showlegend: false, line: { color: "rgba(255,255,255,0.8)", width: 5.5 }, meta: { role: "halo", run: i } });
    });
    this.paths.forEach((run, i) => {
      traces.push({
        type: "scatter",
        mode: "lines",
        x: run.x,
        y: run.y,
        name: run.name,
        showlegend: false,
        line: { color: run.color, width: 2.5, dash: run.dash },
        hovertemplate: `${run.name}<br>${this.labels.step}<br>(%{x:.3f}, %{y:.3f})<extra></extra>`,
        meta: { role: "path", run: i },
      });
    });
    // Where each finished run ended: visible even where a later run's line covers the path.
    const finished = this.paths.filter((r) => r.status !== "diverged" && r.x.length);
    if (finished.length) {
      traces.push({
        type: "scatter",
        mode: "markers",
        x: finished.map((r) => r.x[r.x.length - 1]),
        y: finished.map((r) => r.y[r.y.length - 1]),
        marker: { symbol: "diamond", size: 12, color: finished.map((r) => r.color), line: { color: "#ffffff", width: 1.5 } },
        text: finished.map((r) => `${r.name}: ${this.labels.finalLoss(r.final_loss)}`),
        hovertemplate: "%{text}<br>(%{x:.3f}, %{y:.3f})<extra></extra>",
        showlegend: false,
        meta: { role: "ends" },
      });
    }
    const diverged = this.paths.filter((r) => r.status === "diverged" && r.x.length);
    if (diverged.length) {
      traces.push({
        type: "scatter",
        mode: "markers",
        x: diverged.map((r) => r.x[r.x.length - 1]),
        y: diverged.map((r) => r.y[r.y.length - 1]),
        marker: { symbol: "x", size: 13, color: diverged.map((r) => r.color), line: { color: "#ffffff", width: 1.5 } },
        text: diverged.map((r) => `${r.name}: ${this.labels.diverged(r.diverged_at)}`),
        hovertemplate: "%{text}<extra></extra>",
        showlegend: false,
        meta: { role: "diverged" },
      });
    }
    const minima = this.surface?.minima ?? [];
    if (minima.length) {
      traces.push({
        type: "scatter",
        mode: "markers",
        x: minima.map((m) => m[0]),
        y: minima.map((m) => m[1]),
        marker: { symbol: "star", size: 17, color: "#111827", line: { color: "#ffffff", width: 1.5 } },
        hovertemplate: `${this.labels.minimum} (%{x:.3f}, %{y:.3f})<extra></extra>`,
        showlegend: false,
        meta: { role: "minima" },
      });
    }
    if (this.start) {
      traces.push({
        type: "scatter",
        mode: "markers",
        x: [this.start[0]],
        y: [this.start[1]],
        marker: { symbol: "circle", size: 24, color: "rgba(255,255,255,0.92)", line: { color: "#111827", width: 2.5 } },
        hovertemplate: `${this.labels.start} (%{x:.3f}, %{y:.3f})<extra></extra>`,
        showlegend: false,
        meta: { role: "start" },
      });
    }
    return traces;
  }

  layout() {
    const [xr, yr] = this.surface?.domain ?? [[-2, 2], [-2, 2]];
    return {
      uirevision: JSON.stringify([this.surface?.name ?? "none", this.surface?.domain]), // a new domain: a new view
      margin: { l: 52, r: 14, t: 10, b: 46 },
      font: FONT,
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "#fbfcfd",
      showlegend: false,
      hovermode: "closest",
      hoverlabel: { font: { size: 14 } },
      dragmode: "zoom",
      xaxis: { ...AXIS, showgrid: false, range: [...xr], constrain: "domain", title: { text: "x", standoff: 6 } },
      yaxis: { ...AXIS, showgrid: false, range: [...yr], scaleanchor: "x", scaleratio: 1, constrain: "domain", title: { text: "y", standoff: 6 } },
      shapes: this.shapes(),
      annotations: this.overlay.annotations,
    };
  }

  render() {
    if (!this.surfaceTrace) return;
    this.fitHeight();
    Plotly.react(this.div, this.traces(), this.layout(), config());
    if (!this.rendered && this.onZoom) {
      const ranges = (event) => Object.keys(event).some((k) => /^[xy]axis\.(range|autorange)/.test(k));
      this.div.on("plotly_relayout", (event) => ranges(event) && this.onZoom());
    }
    this.rendered = true;
  }

  // --- picking the start: click anywhere in the plot area, or drag the start marker -------------

  toData(event) {
    const full = this.div._fullLayout;
    if (!full?.xaxis) return null;
    const xa = full.xaxis;
    const ya = full.yaxis;
    const rect = this.div.getBoundingClientRect();
    const px = event.clientX - rect.left - xa._offset;
    const py = event.clientY - rect.top - ya._offset;
    const inside = px >= 0 && px <= xa._length && py >= 0 && py <= ya._length;
    return { point: [xa.p2d(px), ya.p2d(py)], inside, px, py };
  }

  nearStart(hit) {
    if (!this.start) return false;
    const full = this.div._fullLayout;
    const dx = full.xaxis.d2p(this.start[0]) - hit.px;
    const dy = full.yaxis.d2p(this.start[1]) - hit.py;
    return dx * dx + dy * dy <= 14 * 14;
  }

  listen() {
    let down = null;
    let frame = 0;
    const pick = (point, final) => this.onPickStart?.(point.map((v) => Number(v.toFixed(4))), { final });
    this.div.addEventListener(
      "mousedown",
      (event) => {
        if (event.button !== 0 || event.target.closest(".modebar")) return;
        const hit = this.toData(event);
        if (!hit?.inside) return;
        down = { x: event.clientX, y: event.clientY, dragging: this.nearStart(hit) };
        if (down.dragging) {
          // Dragging the start marker: keep the event from Plotly's zoom box.
          event.stopPropagation();
          event.preventDefault();
        }
      },
      true,
    );
    let hover = 0;
    let moved = null; // the newest mousemove: one hover report a frame, at the latest position
    this.div.addEventListener("mousemove", (event) => {
      moved = event;
      if (!this.onHover || hover) return;
      hover = requestAnimationFrame(() => {
        hover = 0;
        const hit = this.toData(moved);
        this.onHover(hit?.inside ? hit.point : null);
      });
    });
    this.div.addEventListener("mouseleave", () => {
      cancelAnimationFrame(hover);
      hover = 0;
      this.onHover?.(null);
    });
    window.addEventListener("mousemove", (event) => {
      if (!down?.dragging) return;
      event.preventDefault();
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => {
        const hit = this.toData(event);
        if (hit) pick(hit.point, false);
      });
    });
    window.addEventListener(
      "mouseup",
      (event) => {
        if (!down) return;
        const moved = Math.hypot(event.clientX - down.x, event.clientY - down.y);
        const hit = this.toData(event);
        if (hit && (down.dragging || (moved < 4 && hit.inside))) pick(hit.point, true);
        down = null;
      },
      true,
    );
  }
}

/** Ticks of a log axis spanning `decades`: every decade (every k-th past 12, about a dozen); 1, 2, 5 within one or two
 * (Plotly's own choice there labels every digit, a cramped column); Plotly's choice for a sliver. */
function logTickStep(decades) {
  if (decades >= 2) return Math.max(1, Math.ceil(decades / 12)); // at most about a dozen labels
  return decades >= 0.5 ? "D2" : undefined;
}

/** A "#rrggbb" colour `share` of the way to black (a dashed line over a solid one of its own colour). */
function darken(color, share) {
  const match = /^#([0-9a-f]{6})$/i.exec(color);
  if (!match) return color;
  const n = parseInt(match[1], 16);
  const channel = (shift) => Math.round(((n >> shift) & 255) * (1 - share));
  return `rgb(${channel(16)}, ${channel(8)}, ${channel(0)})`;
}

/** A per-step series of every run (loss, or gradient norm with `field: "gradNorm"`) with the cursor. */
export class LossChart {
  constructor(div, { field = "loss" } = {}) {
    this.div = div;
    this.field = field;
    this.runs = [];
    this.guides = [];
    this.steps = 0;
    this.cursor = 0;
    this.labels = { step: "step", loss: "loss", lossLog: "loss (log scale)" };
    this.rendered = false;
    followWidth(div);
  }

  /** Runs: [{loss, gradNorm, color, dash, name}]. */
  setRuns(runs, steps) {
    this.runs = runs;
    this.steps = steps;
  }

  /** Dashed lines under the runs (the loss theory predicts): [{x, y, color, name}]; they leave the y range
   * to the runs. */
  setGuides(guides) {
    this.guides = guides;
  }

  setLabels(labels) {
    this.labels = { ...this.labels, ...labels };
  }

  setCursor(step) {
    this.cursor = step;
    if (this.rendered) Plotly.relayout(this.div, { shapes: this.cursorShapes() });
  }

  /** Log axis unless some loss is negative (saddles are unbounded below); exact zeros leave gaps. */
  get logScale() {
    return this.runs.every((r) => this.values(r).every((v) => !(v < 0)));
  }

  /**
   * The y range that shows the runs that did not diverge (a diverged run may leave it: it says so in
   * the legend); null lets Plotly choose. On a log axis the range is in decades.
   */
  valueRange(log) {
    const kept = this.runs.filter((r) => r.status !== "diverged");
    let lo = Infinity;
    let hi = -Infinity;
    for (const run of kept.length ? kept : this.runs) {
      for (const v of this.values(run)) {
        if (!Number.isFinite(v) || (log && v <= 0)) continue;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    if (!(hi >= lo)) return null;
    if (log) {
      const [a, b] = [Math.log10(lo), Math.log10(hi)];
      const pad = Math.max(0.1, (b - a) * 0.04);
      const decades = b - a;
      return { range: [a - pad, b + pad], dtick: logTickStep(decades) };
    }
    const pad = Math.max((hi - lo) * 0.05, Math.abs(hi) * 1e-3, 1e-9);
    return { range: [lo - pad, hi + pad] };
  }

  values(run) {
    return run[this.field] ?? [];
  }

  cursorShapes() {
    return [{ type: "line", xref: "x", yref: "paper", x0: this.cursor, x1: this.cursor, y0: 0, y1: 1, line: { color: "#111827", width: 1.5, dash: "dot" } }];
  }

  render() {
    if (!this.runs.length) return;
    const guides = this.guides.map((g) => ({
      type: "scatter",
      mode: "lines",
      x: g.x,
      y: g.y,
      line: { color: darken(g.color, 0.35), width: 1.8, dash: "dash" },
      hoverinfo: "skip",
      showlegend: false,
      meta: { role: "predicted", name: g.name },
    }));
    const traces = this.runs.map((run, i) => ({
      type: "scatter",
      mode: "lines",
      x: Array.from(this.values(run), (_, k) => k),
      y: this.values(run),
      name: run.name,
      line: { color: run.color, width: 2.5, dash: run.dash },
      hovertemplate: `%{y:.4g}<extra>${run.name}</extra>`,
      meta: { role: this.field, run: i },
    }));
    const log = this.logScale;
    const range = this.valueRange(log);
    const layout = {
      uirevision: this.field,
      margin: { l: 64, r: 14, t: 8, b: 46 },
      font: FONT,
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "#ffffff",
      hovermode: "x unified",
      hoverlabel: { font: { size: 14 } },
      showlegend: false,
      xaxis: { ...AXIS, range: [0, Math.max(1, this.steps)], title: { text: this.labels.step, standoff: 4 } },
      yaxis: { ...AXIS, automargin: true, range: range?.range, autorange: range ? false : true, dtick: range?.dtick, type: log ? "log" : "linear", exponentformat: "power", title: { text: log ? this.labels.lossLog : this.labels.loss, standoff: 10 } },
      shapes: this.cursorShapes(),
    };
    Plotly.react(this.div, [...traces, ...guides], layout, config()); // the dashes over their run's line
    this.rendered = true;
  }
}
