// The sweep panel's Plotly figure: a heatmap of a hyperparameter sweep (value, "never", "diverged" layers)
// or a basin map (one colour per minimum reached), with the run's current values as a ring that moves.
/* global Plotly */

import { AXIS, baseLayout, followWidth, plotConfig } from "../plot.js";
import { categoryScale } from "./sweepmodel.js";

export const DIVERGED_COLOR = "#5b6270";
export const NEVER_COLOR = "#dfe3e8";
export const STALLED_COLOR = "#dfe3e8";
// Okabe–Ito without grey-like black and the weak yellow: one colour per basin.
export const BASIN_COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"];
const CELL_ROLES = new Set(["value", "never", "diverged", "basins"]);

function flatLayer(z, color, role, text) {
  return {
    type: "heatmap",
    z,
    colorscale: [[0, color], [1, color]],
    zmin: 0,
    zmax: 1,
    showscale: false,
    hoverongaps: false,
    text,
    hovertemplate: "%{text}<extra></extra>",
    meta: { role },
  };
}

export class SweepChart {
  /** `onPick(i, j)`: the cell at axes[0].values[i], axes[1].values[j] was clicked. */
  constructor(div, { onPick }) {
    this.div = div;
    this.onPick = onPick;
    this.figure = null;
    this.markerIndex = -1;
    followWidth(div, () => this.fitHeight());
  }

  clear() {
    this.figure = null;
    Plotly.purge(this.div);
    this.div.hidden = true;
  }

  /**
   * A hyperparameter sweep. `figure`: {x, y, xAxis, yAxis ({title, ticks} each; yAxis null for one axis),
   * layers: {value, logScale, never, diverged}, text, zTitle, zTicks, marker: {x, y, color} | null}.
   */
  showHeat(figure) {
    const { x, y, layers, text } = figure;
    const traces = [
      {
        type: "heatmap",
        x,
        y,
        z: layers.value,
        colorscale: "Viridis",
        hoverongaps: false,
        text,
        hovertemplate: "%{text}<extra></extra>",
        colorbar: { title: { text: figure.zTitle, side: "top", font: { size: 12 } }, thickness: 14, len: 1, y: 0, yanchor: "bottom", ...figure.zTicks },
        meta: { role: "value" },
      },
      { ...flatLayer(layers.diverged, DIVERGED_COLOR, "diverged", text), x, y },
    ];
    if (layers.never) traces.push({ ...flatLayer(layers.never, NEVER_COLOR, "never", text), x, y });
    const layout = baseLayout({
      margin: { l: 64, r: 8, t: 30, b: 48 },
      xaxis: { ...AXIS, title: { text: figure.xAxis.title }, ...figure.xAxis.ticks, range: this.edges(x), showgrid: false },
      yaxis: figure.yAxis
        ? { ...AXIS, title: { text: figure.yAxis.title }, ...figure.yAxis.ticks, range: this.edges(y), showgrid: false }
        : { ...AXIS, visible: false, range: [-0.5, 0.5] },
      hovermode: "closest",
      dragmode: false,
    });
    this.draw({ kind: "heat", rows: y.length }, traces, layout, figure.marker);
  }

  /**
   * A basin map. `figure`: {x, y, categories (z[row][col] of integers), colors, text, minima [[x, y]],
   * contour: {x, y, z} | null (surface levels drawn as lines), domain, marker}.
   */
  showBasins(figure) {
    const { x, y, colors } = figure;
    const traces = [
      {
        type: "heatmap",
        x,
        y,
        z: figure.categories.map((row) => row.map((k) => k + 0.5)),
        zmin: 0,
        zmax: colors.length,
        colorscale: categoryScale(colors),
        showscale: false,
        text: figure.text,
        hovertemplate: "%{text}<extra></extra>",
        meta: { role: "basins" },
      },
    ];
    if (figure.contour) {
      traces.push({
        type: "contour",
        ...figure.contour,
        ncontours: 18,
        showscale: false,
        contours: { coloring: "none" },
        line: { color: "rgba(255, 255, 255, 0.55)", width: 0.8 },
        hoverinfo: "skip",
        meta: { role: "levels" },
      });
    }
    if (figure.minima.length) {
      traces.push({
        type: "scatter",
        mode: "markers",
        x: figure.minima.map((m) => m[0]),
        y: figure.minima.map((m) => m[1]),
        marker: { symbol: "star", size: 17, color: "#111827", line: { color: "#ffffff", width: 1.5 } },
        hoverinfo: "skip",
        meta: { role: "minima" },
      });
    }
    const [xr, yr] = figure.domain;
    const layout = baseLayout({
      margin: { l: 52, r: 8, t: 8, b: 46 },
      xaxis: { ...AXIS, title: { text: "x" }, range: xr, showgrid: false, constrain: "domain" },
      yaxis: { ...AXIS, title: { text: "y" }, range: yr, showgrid: false, scaleanchor: "x", constrain: "domain" },
      hovermode: "closest",
      dragmode: false,
    });
    this.draw({ kind: "basins", domain: figure.domain }, traces, layout, figure.marker);
  }

  /** The run's current values (or the start, on a basin map) as a ring; null hides it. */
  setMarker(marker) {
    if (!this.figure || this.markerIndex < 0) return;
    const at = { x: [[marker?.x ?? 0], [marker?.x ?? 0]], y: [[marker?.y ?? 0], [marker?.y ?? 0]], visible: Boolean(marker) };
    Plotly.restyle(this.div, at, [this.markerIndex, this.markerIndex + 1]);
    Plotly.restyle(this.div, { "marker.line.color": marker?.color ?? "#111827" }, [this.markerIndex + 1]);
  }

  // --- internals --------------------------------------------------------------------------------

  edges(values) {
    if (values.length < 2) return [values[0] - 0.5, values[0] + 0.5];
    const half = (values[1] - values[0]) / 2;
    return [values[0] - half, values[values.length - 1] + half];
  }

  /** The ring as two traces: a white halo (visible on dark cells), then the run's colour on top. */
  markerTraces(marker) {
    const ring = (size, color, width, role) => ({
      type: "scatter",
      mode: "markers",
      x: [marker?.x ?? 0],
      y: [marker?.y ?? 0],
      visible: Boolean(marker),
      marker: { symbol: "circle", size, color: "rgba(0, 0, 0, 0)", line: { color, width } },
      hoverinfo: "skip",
      cliponaxis: true,
      meta: { role },
    });
    return [ring(22, "rgba(255, 255, 255, 0.9)", 6.5, "halo"), ring(22, marker?.color ?? "#111827", 3, "current")];
  }

  draw(figure, traces, layout, marker) {
    this.figure = figure;
    this.div.hidden = false;
    this.fitHeight(false);
    this.markerIndex = traces.length;
    traces.push(...this.markerTraces(marker));
    Plotly.react(this.div, traces, layout, plotConfig({ displayModeBar: "hover" }));
    if (!this.listening) {
      this.listening = true;
      this.div.on("plotly_click", (event) => {
        const point = event.points.find((p) => CELL_ROLES.has(p.data.meta?.role));
        if (point && Array.isArray(point.pointIndex)) this.onPick(point.pointIndex[1], point.pointIndex[0]); // [row, column]
      });
    }
  }

  /** A heatmap's height from its rows; a basin map at equal x/y scales, like the surface map. */
  fitHeight(resize = true) {
    if (!this.figure) return;
    let height = this.figure.rows === 1 ? 190 : 440;
    if (this.figure.kind === "basins") {
      const [xr, yr] = this.figure.domain;
      height = Math.max(280, Math.min(560, ((this.div.clientWidth - 60) * (yr[1] - yr[0])) / (xr[1] - xr[0]) + 54));
    }
    this.div.style.height = `${Math.round(height)}px`;
    if (resize && this.div._fullLayout) Plotly.Plots.resize(this.div);
  }
}
