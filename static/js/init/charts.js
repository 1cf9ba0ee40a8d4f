// The init experiment's two figures: per-layer activation histograms as small multiples on one shared
// x range, and per-layer mean and standard deviation vs layer (seed 001's figure).
/* global Plotly */

import { formatNumber } from "../numbers.js";
import { AXIS, baseLayout, EXPORT_ONLY, plotConfig } from "../plot.js";

const BAR = "#0072B2";
const MEAN = "#0072B2";
const STD = "#D55E00";
const PER_ROW = 10;
const ROW_HEIGHT = 190;

/** Fractions of the samples per bin, and the y range: a spike (e.g. ReLU's zeros) is clipped. */
export function histogramView(counts) {
  const total = counts.reduce((a, b) => a + b, 0) || 1;
  const fractions = counts.map((c) => c / total);
  const sorted = [...fractions].sort((a, b) => b - a);
  const [first, second] = sorted;
  const clipped = second > 0 && first > 2.5 * second;
  const top = clipped ? second * 1.45 : Math.max(first * 1.08, 1e-9);
  return { fractions, top, clipped, spike: clipped ? fractions.indexOf(first) : -1 };
}

export class HistogramGrid {
  constructor(div) {
    this.div = div;
    this.layers = [];
    this.labels = { layer: (k) => `Layer ${k}`, share: "share of units", spike: (p) => p };
  }

  setLabels(labels) {
    this.labels = { ...this.labels, ...labels };
  }

  /** Layers from the API: [{index, mean, std, histogram: {edges, counts}}]. */
  setLayers(layers) {
    this.layers = layers;
  }

  get rows() {
    return Math.max(1, Math.ceil(this.layers.length / PER_ROW));
  }

  render() {
    const n = this.layers.length;
    if (!n) return;
    const cols = Math.min(n, PER_ROW);
    const rows = this.rows;
    const first = Math.min(...this.layers.map((l) => l.histogram.edges[0]));
    const end = Math.max(...this.layers.map((l) => l.histogram.edges.at(-1)));
    const pad = (end - first) * 0.04; // bars at the ends (tanh's ±1) stay clear of the frame
    const [lo, hi] = [first - pad, end + pad];
    const height = rows * ROW_HEIGHT + 40;
    const titleFrac = 52 / (height - 40); // room above each row for its two-line title
    const traces = [];
    const layout = baseLayout({
      height,
      margin: { l: 10, r: 10, t: 8, b: 32 },
      bargap: 0,
      hovermode: "closest",
      annotations: [],
    });
    this.layers.forEach((layer, i) => {
      const k = i + 1;
      const suffix = k === 1 ? "" : String(k);
      const r = Math.floor(i / cols);
      const c = i % cols;
      const gap = 0.012;
      const x0 = c / cols + gap;
      const x1 = (c + 1) / cols - gap;
      const yTop = 1 - r / rows - titleFrac;
      const yBottom = 1 - (r + 1) / rows + (r + 1 < rows ? 0.06 : 0);
      const { edges, counts } = layer.histogram;
      const view = histogramView(counts);
      const centers = counts.map((_, j) => (edges[j] + edges[j + 1]) / 2);
      const widths = counts.map((_, j) => edges[j + 1] - edges[j]);
      traces.push({
        type: "bar",
        x: centers,
        y: view.fractions,
        width: widths,
        xaxis: `x${suffix}`,
        yaxis: `y${suffix}`,
        marker: { color: BAR, line: { width: 0 } },
        customdata: counts.map((_, j) => [formatNumber(edges[j]), formatNumber(edges[j + 1]), (view.fractions[j] * 100).toFixed(1)]),
        hovertemplate: `${this.labels.layer(layer.index)}<br>[%{customdata[0]}, %{customdata[1]}): %{customdata[2]}%<extra></extra>`,
        meta: { role: "histogram", layer: layer.index },
      });
      layout[`xaxis${suffix}`] = {
        ...AXIS,
        mirror: false,
        showgrid: false,
        domain: [x0, x1],
        range: [lo, hi],
        anchor: `y${suffix}`,
        nticks: 3,
        tickfont: { size: 11 },
      };
      layout[`yaxis${suffix}`] = {
        showline: false,
        showgrid: false,
        zeroline: false,
        showticklabels: false,
        ticks: "",
        domain: [yBottom, yTop],
        range: [0, view.top],
        anchor: `x${suffix}`,
        fixedrange: true,
      };
      layout.annotations.push({
        xref: "paper",
        yref: "paper",
        x: (x0 + x1) / 2,
        y: yTop,
        yanchor: "bottom",
        xanchor: "center",
        showarrow: false,
        align: "center",
        text: `<b>${this.labels.layer(layer.index)}</b><br><span style="font-size:12px">σ ${formatNumber(layer.std)}</span>`,
        font: { size: 13 },
      });
      if (view.clipped) {
        layout.annotations.push({
          xref: `x${suffix}`,
          yref: `y${suffix}`,
          x: centers[view.spike],
          y: view.top,
          xanchor: "left",
          yanchor: "top",
          showarrow: false,
          text: `↑ ${this.labels.spike(Math.round(view.fractions[view.spike] * 100))}`,
          font: { size: 11, color: "#4a5568" },
        });
      }
    });
    Plotly.react(this.div, traces, layout, plotConfig(EXPORT_ONLY));
  }
}

export class MeanStdChart {
  constructor(div) {
    this.div = div;
    this.layers = [];
    this.labels = { layer: "layer", mean: "mean", std: "std", value: "value" };
  }

  setLabels(labels) {
    this.labels = { ...this.labels, ...labels };
  }

  setLayers(layers) {
    this.layers = layers;
  }

  render() {
    if (!this.layers.length) return;
    const x = this.layers.map((l) => l.index);
    const line = (key, color, symbol, name) => ({
      type: "scatter",
      mode: "lines+markers",
      x,
      y: this.layers.map((l) => l[key]),
      name,
      line: { color, width: 3 },
      marker: { color, size: 8, symbol },
      hovertemplate: `${name} %{y:.4g}<extra>${this.labels.layer} %{x}</extra>`,
      meta: { role: key },
    });
    const layout = baseLayout({
      margin: { l: 64, r: 16, t: 36, b: 50 },
      showlegend: true,
      legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom", font: { size: 14 } },
      hovermode: "x unified",
      xaxis: { ...AXIS, title: { text: this.labels.layer, standoff: 4 }, dtick: x.length > 12 ? 2 : 1, range: [0.5, x.length + 0.5] },
      yaxis: { ...AXIS, zeroline: true, zerolinecolor: "#9aa6b5", title: { text: this.labels.value, standoff: 8 }, rangemode: "tozero", exponentformat: "power" },
    });
    Plotly.react(this.div, [line("mean", MEAN, "circle", this.labels.mean), line("std", STD, "square", this.labels.std)], layout, plotConfig());
  }
}
