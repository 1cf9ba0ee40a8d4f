// The runs' legend under the loss chart: colour and dash, name, and how the run ended.

import { el, setChildren } from "../dom.js";
import { setText } from "../i18n.js";
import { formatNumber } from "../numbers.js";

const DASHES = { solid: "", dash: "6 4" };

function swatch(color, dash) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 28 10");
  svg.setAttribute("class", "legend-swatch");
  svg.setAttribute("aria-hidden", "true");
  const line = document.createElementNS(ns, "line");
  Object.entries({ x1: 1, y1: 5, x2: 27, y2: 5, stroke: color, "stroke-width": 3.5, "stroke-linecap": "round" }).forEach(([k, v]) => line.setAttribute(k, v));
  if (DASHES[dash]) line.setAttribute("stroke-dasharray", DASHES[dash]);
  svg.append(line);
  return svg;
}

/** Runs: [{name, color, dash, status, final_loss, diverged_at}]. */
export function renderLegend(list, runs) {
  const items = runs.map((run) => {
    const outcome = el("span", { class: "legend-outcome" });
    if (run.status === "diverged") setText(outcome, "legend.divergedAt", { step: run.diverged_at });
    else setText(outcome, "legend.finalLossValue", { loss: formatNumber(run.final_loss) });
    return el("li", { class: `legend-item ${run.status}` }, swatch(run.color, run.dash), el("span", { class: "legend-name" }, run.name), outcome);
  });
  setChildren(list, items);
}
