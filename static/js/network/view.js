// One network's views: a heading with its setup and status, the boundary over the data, loss and
// accuracy curves, per-layer statistics and the histogram strips over time.

import { el } from "../dom.js";
import { setText, t } from "../i18n.js";
import { formatNumber } from "../numbers.js";
import { BoundaryChart, CURVE_STYLES, CurvesChart, LayerChart, SpreadChart } from "./charts.js";
import { HistogramStrips } from "./strips.js";

const REASONS = {
  "the loss, the gradient or the parameters became NaN or infinite": "reason.netNan",
  "a parameter left the region |θ| ≤ 1e6": "reason.netRange",
};

function swatch({ color, dash }) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 10");
  svg.setAttribute("class", "legend-swatch");
  svg.setAttribute("aria-hidden", "true");
  const line = document.createElementNS(ns, "line");
  Object.entries({ x1: 1, y1: 5, x2: 23, y2: 5, stroke: color, "stroke-width": 3, "stroke-dasharray": dash }).forEach(([k, v]) => line.setAttribute(k, v));
  svg.append(line);
  return svg;
}

/** "━ train ╌ validation": the curves' key, in the caption so the plot keeps its height. */
function curveKey() {
  return el("span", { class: "curve-key" }, ...["train", "validation"].flatMap((k) => [swatch(CURVE_STYLES[k]), setText(el("span"), `net.${k}`)]));
}

function card(titleKey, chartClass, extra) {
  const title = setText(el("span", { class: "chart-title" }), titleKey);
  const hint = extra ?? null;
  const chart = el("div", { class: `chart ${chartClass}` });
  return { root: el("figure", { class: `chart-card ${chartClass}-card` }, el("figcaption", {}, title, hint), chart), chart };
}

export class NetworkView {
  /** `index`: 0 or 1; `compare`: laid out as one of two columns. */
  constructor(index, { compare = false } = {}) {
    this.index = index;
    this.badge = el("span", { class: "net-badge", "aria-hidden": "true" }, "AB"[index]);
    this.title = el("h2", { class: "view-title" });
    this.status = el("p", { class: "view-status", role: "status", "aria-live": "off" });
    const boundary = card("net.boundary", "boundary-chart");
    const curves = card("net.curves", "curves-chart", curveKey());
    const layers = card("net.layers", "layers-chart");
    this.mcCaption = el("span", { class: "chart-hint" });
    const mcMean = el("div", { class: "chart mc-chart" });
    const mcSpread = el("div", { class: "chart mc-chart" });
    this.mcCard = el(
      "figure",
      { class: "chart-card mc-card", hidden: true },
      el("figcaption", {}, setText(el("span", { class: "chart-title" }), "net.mcTitle"), this.mcCaption),
      el("div", { class: "mc-pair" }, el("div", {}, setText(el("div", { class: "strip-title" }), "net.mcMean"), mcMean), el("div", {}, setText(el("div", { class: "strip-title" }), "net.mcSpread"), mcSpread)),
    );
    this.actStripsDiv = el("div", { class: "chart strips-chart" });
    this.gradStripsDiv = el("div", { class: "chart strips-chart" });
    const stripTitle = (key, hintKey) => el("div", { class: "strip-head" }, setText(el("span", { class: "strip-title" }), key), setText(el("span", { class: "chart-hint" }), hintKey));
    const strips = el(
      "figure",
      { class: "chart-card strips-card", dataset: { hide: "strips" } },
      el("figcaption", {}, setText(el("span", { class: "chart-title" }), "net.strips")),
      el("div", { class: "strips-pair" }, el("div", {}, stripTitle("net.actStrips", "net.actStripsHint"), this.actStripsDiv), el("div", {}, stripTitle("net.gradStrips", "net.gradStripsHint"), this.gradStripsDiv)),
    );
    layers.root.dataset.hide = "layers";
    this.root = el(
      "section",
      { class: `net-view${compare ? " compare" : ""}`, dataset: { net: String(index) } },
      el("header", { class: "view-head" }, this.badge, el("div", { class: "view-heading" }, this.title, this.status)),
      el("div", { class: "view-grid" }, boundary.root, curves.root, layers.root, this.mcCard, strips),
    );
    this.boundary = new BoundaryChart(boundary.chart);
    this.curves = new CurvesChart(curves.chart);
    this.layers = new LayerChart(layers.chart, { side: compare });
    this.mcMean = new BoundaryChart(mcMean);
    this.mcMean.probability = true;
    this.mcSpread = new SpreadChart(mcSpread);
    this.mc = null; // the newest mc_dropout frame
    const minHeight = compare ? 170 : 200;
    this.actStrips = new HistogramStrips(this.actStripsDiv, { minHeight });
    this.gradStrips = new HistogramStrips(this.gradStripsDiv, { minHeight, ticks: (i, n) => (i === n - 1 ? t("net.out") : String(i + 1)) });
    this.history = null;
  }

  setTitle(text) {
    this.title.textContent = text;
    this.title.title = text; // whole, where a narrow column cuts it short
  }

  /** A new session: the data (setup frame) and this network's fresh history. */
  reset(data, history) {
    this.history = history;
    this.boundary.setData(data);
    this.mcMean.setData(data);
    this.mcSpread.setData(data);
    this.mc = null;
    this.relabel();
  }

  relabel() {
    const L = (key) => t(key);
    this.boundary.setLabels({ train: L("net.train"), validation: L("net.validation"), cls: (k) => t("net.class", { k }), p1: L("net.p1") });
    this.mcMean.setLabels({ train: L("net.train"), validation: L("net.validation"), cls: (k) => t("net.class", { k }), p1: L("net.p1") });
    this.mcSpread.setLabels({ std: L("net.mcStd") });
    this.curves.setLabels({ step: L("axis.step"), loss: L("axis.loss"), accuracy: L("net.accuracy"), train: L("net.train"), validation: L("net.validation") });
    this.layers.setLabels({ layer: L("axis.layer"), mean: L("init.mean"), std: L("init.std"), grad: L("net.gradAxis"), start: L("net.atStart"), out: L("net.out"), activations: L("net.activations") });
    for (const strips of [this.actStrips, this.gradStrips]) strips.setLabels({ step: L("axis.step"), layer: L("axis.layer") });
  }

  renderStatus() {
    const h = this.history;
    if (!h?.last) return;
    const { header, arrays } = h.last;
    const view = this.root;
    view.dataset.status = header.status;
    if (header.status === "diverged") {
      const key = REASONS[header.reason];
      setText(this.status, "status.diverged", { step: header.diverged_at, reason: key ? { key } : header.reason });
      return;
    }
    setText(this.status, "net.statusLine", {
      lr: h.learningRate === null ? "–" : formatNumber(h.learningRate),
      loss: formatNumber(arrays.train_loss.data[0]),
      acc: `${Math.round(arrays.val_accuracy.data[0] * 100)}%`,
    });
  }

  /** Show or hide the Monte-Carlo dropout card. */
  showMc(on) {
    this.mcCard.hidden = !on;
  }

  /** An `mc_dropout` frame: the predictive mean over the boundary grid and its spread. */
  setMc(frame) {
    this.mc = frame;
    const { header } = frame;
    const key = header.dropout > 0 ? "net.mcCaption" : "net.mcNoDropout";
    setText(this.mcCaption, key, { n: header.samples, p: formatNumber(header.dropout), step: header.step });
    this.mcMean.setBoundary(frame.arrays.mean);
    this.mcSpread.setSpread(frame.arrays.std);
    if (!this.mcCard.hidden) {
      this.mcMean.render();
      this.mcSpread.render();
    }
  }

  /** Redraw everything from the history (at most a few times a second); `shared`: {lossMax, gradValues}. */
  render(shared = {}) {
    const h = this.history;
    if (!h?.last) return;
    if (h.diverged) shared = {};
    this.renderStatus();
    this.boundary.setBoundary(h.last.arrays.boundary);
    this.boundary.render();
    this.curves.setCurves(h.curves, shared.lossMax);
    this.curves.render();
    this.layers.setStats(h.layers(), shared.gradValues);
    this.layers.render();
    const bins = h.last.arrays.act_hist.shape[1];
    this.actStrips.setHistory(h.act, h.last.arrays.act_hist.shape[0], bins);
    this.actStrips.render();
    this.gradStrips.setHistory(h.grad, h.last.arrays.grad_hist.shape[0], h.last.arrays.grad_hist.shape[1]);
    this.gradStrips.render();
  }
}
