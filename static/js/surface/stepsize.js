// The effective per-coordinate step sizes of an adaptive run over time (the `step_size` series of its
// `paths` frame: ε_t/(δ+√r) and kin, engine/step_sizes.py): x and y as two lines on a log axis, with the
// timeline cursor. Runs without such a series (SGD, momentum…) are not offered.
/* global Plotly */

import { el, setChildren } from "../dom.js";
import { setText, t } from "../i18n.js";
import { AXIS, baseLayout, followWidth, plotConfig } from "../plot.js";
import { byKey, selectField } from "../widgets.js";

const ADAM_LIKE = new Set(["adam", "adam_uncorrected", "nadam", "adamw"]);

/** A run's step sizes as two arrays (x and y coordinates), or null. */
export function stepSizes(run) {
  const series = run?.series?.step_size;
  if (!series) return null;
  const n = series.shape[0];
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    x[k] = series.data[2 * k];
    y[k] = series.data[2 * k + 1];
  }
  return { x, y };
}

export class StepSizePanel {
  /** `lab`: the surface lab ({state, paths, concealed, runName(run, i), runList.styleOf(i)}). */
  constructor(root, lab) {
    this.root = root;
    this.lab = lab;
    this.runIndex = null; // index into the lab's runs; null: the first adaptive one
    this.cursor = 0;
    this.rendered = false;
    this.runField = selectField({ name: "step-size-run", value: "", label: byKey("steps.run"), options: [], onChange: (v) => this.pick(Number(v)) });
    this.caption = el("p", { class: "chart-caption steps-caption" });
    this.none = setText(el("p", { class: "note steps-none" }), "steps.none");
    this.chartDiv = el("div", { id: "step-size-chart", class: "chart step-size-chart" });
    setChildren(this.root, this.runField.root, this.caption, this.none, this.chartDiv);
    followWidth(this.chartDiv);
  }

  /** Runs with step sizes in the newest frame that are still on the page (a run just removed is not): [index]. */
  adaptive() {
    if (this.lab.concealed || !this.lab.paths) return [];
    const onPage = this.lab.state.runs.length;
    return this.lab.paths.runs.flatMap((run, i) => (run.series?.step_size && i < onPage ? [i] : []));
  }

  pick(index) {
    this.runIndex = index;
    this.render();
  }

  render() {
    const choices = this.adaptive();
    const index = choices.includes(this.runIndex) ? this.runIndex : choices[0];
    this.root.dataset.run = index === undefined ? "" : String(index);
    this.none.hidden = choices.length > 0;
    this.runField.root.hidden = choices.length === 0;
    this.caption.hidden = choices.length === 0;
    this.chartDiv.hidden = choices.length === 0;
    if (index === undefined) {
      if (this.rendered) Plotly.purge(this.chartDiv);
      this.rendered = false;
      return;
    }
    const names = choices.map((i) => this.lab.runName(this.lab.state.runs[i], i));
    const key = JSON.stringify([choices, names]);
    if (key !== this.options) {
      this.options = key;
      setChildren(this.runField.select, choices.map((i, k) => el("option", { value: String(i) }, names[k])));
    }
    this.runField.select.value = String(index);
    const run = this.lab.paths.runs[index];
    const optimizer = this.lab.state.runs[index]?.optimizer;
    setText(this.caption, optimizer === "delta_bar_delta" ? "steps.captionDbd" : ADAM_LIKE.has(optimizer) ? "steps.captionAdam" : "steps.caption");
    this.draw(stepSizes(run), this.lab.runList.styleOf(index).color);
  }

  draw(sizes, color) {
    const steps = Array.from(sizes.x, (_, k) => k);
    const line = (values, name, dash, role) => ({
      type: "scatter",
      mode: "lines",
      x: steps,
      y: values,
      name,
      line: { color, width: 2.5, dash },
      hovertemplate: `%{y:.3g}<extra>${name}</extra>`,
      meta: { role },
    });
    const traces = [line(sizes.x, t("steps.x"), "solid", "step-x"), line(sizes.y, t("steps.y"), "dot", "step-y")];
    const layout = baseLayout({
      uirevision: "step-size",
      margin: { l: 64, r: 14, t: 30, b: 42 },
      hovermode: "x unified",
      showlegend: true,
      legend: { orientation: "h", x: 1, xanchor: "right", y: 1, yanchor: "bottom", font: { size: 13 } },
      xaxis: { ...AXIS, range: [0, Math.max(1, this.lab.paths?.header.steps ?? steps.length)], title: { text: t("axis.step"), standoff: 4 } },
      yaxis: { ...AXIS, type: "log", exponentformat: "power", automargin: true, title: { text: t("steps.axis"), standoff: 8 } },
      shapes: this.cursorShapes(),
    });
    Plotly.react(this.chartDiv, traces, layout, plotConfig());
    this.rendered = true;
  }

  cursorShapes() {
    return [{ type: "line", xref: "x", yref: "paper", x0: this.cursor, x1: this.cursor, y0: 0, y1: 1, line: { color: "#111827", width: 1.5, dash: "dot" } }];
  }

  setCursor(step) {
    this.cursor = step;
    if (this.rendered) Plotly.relayout(this.chartDiv, { shapes: this.cursorShapes() });
  }
}
