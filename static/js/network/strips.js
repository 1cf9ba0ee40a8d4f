// Per-layer histogram strips over time: one band per layer (layer 1 on top), time runs left to right
// (one column per chunk), each column shows that layer's histogram as shades. One heatmap trace: the
// bands are blocks of rows separated by empty rows.
/* global Plotly */

import { AXIS, baseLayout, EXPORT_ONLY, plotConfig } from "../plot.js";

const GAP = 4; // empty rows between bands
const SCALE = [[0, "#ffffff"], [0.15, "#d6e6f4"], [0.4, "#7fb0d8"], [0.7, "#2f72b3"], [1, "#0b2f5e"]];

/** z rows (bottom to top) of a strip history: `layers` bands of `bins` rows, layer 1 at the top. */
export function stripRows(history, layers, bins) {
  const cols = history.columns.length;
  const rows = [];
  for (let band = layers - 1; band >= 0; band--) {
    for (let b = 0; b < bins; b++) {
      const r = new Array(cols);
      // sqrt: thin tails stay visible next to a tall peak
      for (let c = 0; c < cols; c++) r[c] = Math.sqrt(history.columns[c][band][b]);
      rows.push(r);
    }
    if (band > 0) for (let g = 0; g < GAP; g++) rows.push(new Array(cols).fill(null));
  }
  return rows;
}

export class HistogramStrips {
  /** `ticks(i)`: the label of band i (e.g. "1", …, "out"). */
  constructor(div, { ticks = (i) => String(i + 1), minHeight = 200 } = {}) {
    this.div = div;
    this.minHeight = minHeight;
    this.ticks = ticks;
    this.history = null;
    this.layers = 0;
    this.bins = 0;
    this.labels = { step: "step", layer: "layer" };
  }

  setLabels(labels) {
    this.labels = { ...this.labels, ...labels };
  }

  setHistory(history, layers, bins) {
    Object.assign(this, { history, layers, bins });
  }

  /** The band's label positions: centre row of each band, layer 1 at the top. */
  tickPositions() {
    const vals = [];
    const text = [];
    for (let i = 0; i < this.layers; i++) {
      const band = this.layers - 1 - i;
      vals.push(band * (this.bins + GAP) + (this.bins - 1) / 2);
      text.push(this.ticks(i, this.layers));
    }
    return { vals, text };
  }

  render() {
    const h = this.history;
    if (!h || !this.layers) return;
    const z = stripRows(h, this.layers, this.bins);
    // Deep networks get taller strips: every band stays at least ~12 px high.
    const height = `${Math.min(420, Math.max(this.minHeight, this.layers * 16 + 48))}px`;
    if (this.div.style.height !== height) this.div.style.height = height;
    const { vals, text } = this.tickPositions();
    const trace = {
      type: "heatmap",
      x: h.steps.length ? h.steps : [0],
      z: h.columns.length ? z : z.map(() => [null]),
      zmin: 0,
      zmax: 1,
      colorscale: SCALE,
      showscale: false,
      hoverinfo: "skip",
      meta: { role: "strip", columns: h.columns.length },
    };
    const last = h.steps.at(-1) ?? 0;
    const bands = Array.from({ length: this.layers }, (_, band) => ({
      type: "rect",
      xref: "paper",
      yref: "y",
      x0: 0,
      x1: 1,
      y0: band * (this.bins + GAP) - 0.5,
      y1: band * (this.bins + GAP) + this.bins - 0.5,
      line: { color: "#9aa6b5", width: 1 },
      layer: "above",
    }));
    const layout = baseLayout({
      shapes: bands,
      margin: { l: 40, r: 8, t: 4, b: 38 },
      plot_bgcolor: "#ffffff",
      xaxis: { ...AXIS, showline: false, showgrid: false, title: { text: this.labels.step, standoff: 2 }, nticks: 5, range: h.steps.length > 1 ? [h.steps[0], last] : undefined },
      yaxis: { ...AXIS, showline: false, showgrid: false, ticks: "", tickvals: vals, ticktext: text, range: [-0.5, this.layers * (this.bins + GAP) - GAP - 0.5], title: { text: this.labels.layer, standoff: 2 }, fixedrange: true },
    });
    Plotly.react(this.div, [trace], layout, plotConfig(EXPORT_ONLY));
  }
}
