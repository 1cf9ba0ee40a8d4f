// A run card's schedule preview: ε(t) over the run's steps as a small SVG chart, drawn from the rates the
// run actually used (the `learning_rate` series of its `paths` frame, so reduce-on-plateau shows its
// drops where the loss stalled). Pure drawing: no Plotly for a chart this small, one per card.

import { el } from "../dom.js";
import { setText, t } from "../i18n.js";
import { formatNumber } from "../numbers.js";

const NS = "http://www.w3.org/2000/svg";
const WIDTH = 300;
const HEIGHT = 60;

function svgNode(tag, attrs) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

/** At most about `width` × 2 points of a long series: each bucket's first and last value, so a step keeps
 * its edge. Returns [[t, value]]. */
export function thin(values, width = WIDTH) {
  const n = values.length;
  if (n <= 2 * width) return Array.from(values, (v, t) => [t, v]);
  const points = [];
  for (let b = 0; b < width; b++) {
    const a = Math.floor((b * n) / width);
    const z = Math.max(a, Math.floor(((b + 1) * n) / width) - 1);
    points.push([a, values[a]], [z, values[z]]);
  }
  return points;
}

export class RatePreview {
  constructor() {
    this.line = svgNode("polyline", { class: "rate-line", fill: "none", "vector-effect": "non-scaling-stroke" });
    this.area = svgNode("polygon", { class: "rate-area" });
    this.svg = svgNode("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, preserveAspectRatio: "none", class: "rate-svg", role: "img" });
    this.svg.append(this.area, this.line);
    this.top = el("span", { class: "rate-top" });
    this.bottom = el("span", { class: "rate-bottom" }, "0");
    this.first = el("span", { class: "rate-first" }, "0");
    this.last = el("span", { class: "rate-last" });
    this.caption = el("figcaption", { class: "rate-caption" });
    this.pending = setText(el("p", { class: "note rate-pending" }), "preview.pending");
    this.root = el(
      "figure",
      { class: "rate-preview" },
      el("div", { class: "rate-plot" }, el("div", { class: "rate-y" }, this.top, this.bottom), this.svg, el("div", { class: "rate-x" }, this.first, this.last)),
      this.caption,
      this.pending,
    );
    this.draw(null, 0);
  }

  /** Rates ε_0…ε_{n−1} of the run (null: not computed yet) over a run of `steps` steps. */
  draw(rates, steps) {
    const has = Boolean(rates?.length);
    this.root.dataset.points = has ? String(rates.length) : "0";
    this.pending.hidden = has;
    this.svg.style.visibility = has ? "visible" : "hidden";
    if (!has) return;
    let hi = 0;
    for (const v of rates) if (Number.isFinite(v)) hi = Math.max(hi, v);
    hi = hi > 0 ? hi : 1;
    const span = Math.max(1, steps - 1);
    const at = ([t, v]) => `${((t / span) * WIDTH).toFixed(2)},${(HEIGHT - (Math.max(0, v) / hi) * (HEIGHT - 2) - 1).toFixed(2)}`;
    const points = thin(rates).map(at);
    this.line.setAttribute("points", points.join(" "));
    const end = (((rates.length - 1) / span) * WIDTH).toFixed(2);
    this.area.setAttribute("points", `0,${HEIGHT} ${points.join(" ")} ${end},${HEIGHT}`);
    this.top.textContent = formatNumber(hi);
    this.last.textContent = String(steps);
    this.root.dataset.first = String(rates[0]);
    this.root.dataset.last = String(rates[rates.length - 1]);
    setText(this.caption, "preview.caption", { steps });
    const label = { from: formatNumber(rates[0]), to: formatNumber(rates[rates.length - 1]) };
    this.svg.setAttribute("data-i18n-aria-label", "preview.label");
    this.svg.setAttribute("data-i18n-args", JSON.stringify(label));
    this.svg.setAttribute("aria-label", t("preview.label", label));
  }
}
