// The sweep panel: one run over a grid of one or two of its hyperparameters (or, as a basin map, over the
// surface's start points) in one POST /api/v1/sweep. Draws the heatmap, keeps the run's current values
// marked on it, and loads a clicked cell into the run. Knows nothing about the socket: the lab does.

import { el, setChildren } from "../dom.js";
import { catalogText, setText, t } from "../i18n.js";
import { formatNumber, formatPoint } from "../numbers.js";
import { runSpec, surfaceSpec } from "../state.js";
import { byKey, selectField, textField } from "../widgets.js";
import { contourLevels } from "./charts.js";
import { BASIN_COLORS, DIVERGED_COLOR, NEVER_COLOR, STALLED_COLOR, SweepChart } from "./sweepchart.js";
import {
  axisChoices,
  classifyBasins,
  decadeTicks,
  defaultAxes,
  defaultRange,
  endClusters,
  GRID_SIZES,
  heatLayers,
  MAX_SWEEP_STEPS,
  sweepContext,
  sweepRequest,
  toPlot,
  transpose,
} from "./sweepmodel.js";

const DEFAULT_COUNT = 64;
const DEFAULT_TOLERANCE = 1e-3;

export class SweepPanel {
  /**
   * `lab`: the surface lab ({catalog, state, surface, runName(run, i), runList.styleOf(i)}).
   * `on`: {loadRun(index, run)} a clicked cell's whole run; {moveStart([x, y])} a basin map's start.
   */
  constructor(root, lab, on) {
    this.root = root;
    this.lab = lab;
    this.on = on;
    this.mode = "heat";
    this.view = "loss";
    this.count = DEFAULT_COUNT;
    this.runIndex = 0;
    this.axes = []; // [{name, low, high, scale}] as typed (low/high as text)
    this.axesOptimizer = null;
    this.results = { heat: null, basin: null }; // {answer, body, runIndex, ms} per mode
    this.grid = null; // {surface, grid} for the basin map's level lines
    this.request = null;
    this.build();
  }

  get state() {
    return this.lab.state;
  }

  // --- controls ---------------------------------------------------------------------------------

  build() {
    this.modeButtons = this.toggle("sweep.mode", [["heat", "sweep.modeHeat"], ["basin", "sweep.modeBasin"]], this.mode, (mode) => {
      this.mode = mode;
      this.showMode();
      this.render();
    });
    this.runField = selectField({ name: "sweep-run", value: "0", label: byKey("sweep.run"), options: [], onChange: (v) => this.pickRun(Number(v)) });
    this.axisBox = el("div", { class: "sweep-axes" });
    this.gridField = selectField({
      name: "sweep-grid",
      value: String(this.count),
      label: byKey("sweep.grid"),
      options: GRID_SIZES.map((n) => ({ value: String(n), label: byKey("sweep.gridValue", { n }) })),
      onChange: (v) => (this.count = Number(v)),
    });
    this.viewButtons = this.toggle("sweep.colour", [["loss", "sweep.viewLoss"], ["steps", "sweep.viewSteps"]], this.view, (view) => {
      this.view = view;
      this.render();
    });
    this.toleranceField = textField({ name: "sweep-tolerance", value: String(DEFAULT_TOLERANCE), label: byKey("sweep.tolerance"), inputmode: "decimal", onInput: () => {} });
    this.sweepButton = el("button", { type: "button", class: "button primary sweep-button", on: { click: () => this.sweep() } });
    setText(this.sweepButton, "sweep.button");
    this.status = el("span", { class: "sweep-status", role: "status" });
    this.spinner = el("span", { class: "spinner", "aria-hidden": "true", hidden: true });
    this.message = el("p", { class: "note invalid sweep-message", role: "alert", hidden: true });
    this.stale = el("p", { class: "note sweep-stale", hidden: true });
    this.caption = el("p", { class: "sweep-caption", hidden: true });
    this.chartDiv = el("div", { id: "sweep-chart", class: "chart sweep-chart", hidden: true });
    this.legend = el("ul", { class: "legend sweep-legend" });
    this.chart = new SweepChart(this.chartDiv, { onPick: (i, j) => this.pick(i, j) });
    this.viewRow = el("div", { class: "sweep-row" }, this.viewButtons.root, this.toleranceField.root);
    setChildren(
      this.root,
      el("div", { class: "sweep-row" }, this.modeButtons.root, this.runField.root),
      this.axisBox,
      this.viewRow,
      el("div", { class: "sweep-row sweep-go" }, this.gridField.root, this.sweepButton, this.spinner, this.status),
      this.message,
      this.caption,
      this.stale,
      this.chartDiv,
      this.legend,
    );
    this.runsChanged();
    this.showMode();
  }

  /** A labelled group of buttons, one pressed. Returns {root, set(value)}. */
  toggle(labelKey, choices, value, onPick) {
    const label = setText(el("span", { class: "field-label" }), labelKey);
    const buttons = choices.map(([v, key]) =>
      setText(el("button", { type: "button", class: "button small", dataset: { value: v }, on: { click: () => (set(v), onPick(v)) } }), key),
    );
    const set = (v) => buttons.forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.value === v)));
    set(value);
    const group = el("div", { class: "sweep-toggle", role: "group" }, ...buttons);
    group.dataset.i18nAriaLabel = labelKey;
    group.setAttribute("aria-label", t(labelKey));
    return { root: el("div", { class: "field sweep-field" }, label, group), set };
  }

  showMode() {
    this.axisBox.hidden = this.mode !== "heat";
    this.viewRow.hidden = this.mode !== "heat";
  }

  /** The run list changed (a run added, removed, or switched optimizer): the run choices and axes follow. */
  runsChanged() {
    const runs = this.state.runs;
    this.runIndex = Math.min(this.runIndex, runs.length - 1);
    const names = runs.map((run, i) => this.lab.runName(run, i));
    const select = this.runField.select;
    if (JSON.stringify(names) !== this.runNames) {
      this.runNames = JSON.stringify(names);
      setChildren(select, names.map((name, i) => el("option", { value: String(i) }, name)));
    }
    select.value = String(this.runIndex);
    if (runs[this.runIndex]?.optimizer !== this.axesOptimizer) this.buildAxes();
    this.follow();
  }

  pickRun(index) {
    this.runIndex = index;
    this.buildAxes();
    this.follow();
  }

  optimizerOf(run) {
    return this.lab.catalog.optimizers.find((o) => o.id === run.optimizer);
  }

  /** The x and y axis fields for the chosen run's optimizer (learning rate across, the next one up). */
  buildAxes() {
    const run = this.state.runs[this.runIndex];
    if (!run) return;
    const optimizer = this.optimizerOf(run);
    this.axesOptimizer = run.optimizer;
    this.axes = defaultAxes(optimizer, run.hyperparameters).map((a) => ({ ...a, low: String(a.low), high: String(a.high) }));
    const choices = axisChoices(optimizer);
    const fields = [0, 1].map((k) => this.axisField(k, choices));
    setChildren(this.axisBox, ...fields);
  }

  axisField(k, choices) {
    const options = choices.map((c) => ({ value: c.name, label: (node) => (node.textContent = catalogText(`hp.${c.name}`, c.title)) }));
    if (k === 1) options.unshift({ value: "", label: byKey("sweep.axisNone") });
    const axis = this.axes[k];
    const low = textField({ name: `sweep-low-${k}`, value: axis?.low ?? "", label: byKey("sweep.low"), inputmode: "decimal", onInput: (text) => (this.axes[k].low = text) });
    const high = textField({ name: `sweep-high-${k}`, value: axis?.high ?? "", label: byKey("sweep.high"), inputmode: "decimal", onInput: (text) => (this.axes[k].high = text) });
    const range = el("div", { class: "sweep-range", hidden: !axis }, low.root, high.root);
    const name = selectField({
      name: `sweep-axis-${k}`,
      value: axis?.name ?? "",
      label: byKey(k === 0 ? "sweep.axisX" : "sweep.axisY"),
      options,
      onChange: (value) => {
        const choice = choices.find((c) => c.name === value);
        if (!choice) {
          this.axes.length = 1;
        } else {
          const span = defaultRange(choice, this.state.runs[this.runIndex]?.hyperparameters[choice.name]);
          this.axes[k] = { ...span, low: String(span.low), high: String(span.high) };
          low.input.value = this.axes[k].low;
          high.input.value = this.axes[k].high;
        }
        range.hidden = !choice;
      },
    });
    return el("div", { class: "sweep-axis" }, name.root, range);
  }

  // --- the request ------------------------------------------------------------------------------

  /** The request for the current controls, or a message saying what to fix. */
  requestBody() {
    const state = this.state;
    const run = state.runs[this.runIndex];
    if (state.steps > MAX_SWEEP_STEPS) return { error: t("sweep.tooManySteps", { max: MAX_SWEEP_STEPS }) };
    let axes = null;
    if (this.mode === "heat") {
      axes = [];
      for (const axis of this.axes.filter(Boolean)) {
        const low = Number(axis.low);
        const high = Number(axis.high);
        const h = this.optimizerOf(run).hyperparameters.find((p) => p.name === axis.name);
        const title = catalogText(`hp.${axis.name}`, h?.title ?? axis.name);
        if (axis.low.trim() === "" || axis.high.trim() === "" || !Number.isFinite(low) || !Number.isFinite(high)) {
          return { error: t("sweep.badNumber", { name: title }) };
        }
        axes.push({ name: axis.name, low, high, scale: axis.scale });
      }
    }
    const tolerance = Number(this.toleranceField.input.value);
    return {
      body: sweepRequest({
        surface: surfaceSpec(state),
        domain: this.lab.surface.domain,
        start: [...state.start],
        steps: state.steps,
        noise: { sigma: state.sigma, seed: state.seed },
        run: runSpec(run),
        axes,
        count: this.count,
        tolerance: Number.isFinite(tolerance) && this.toleranceField.input.value.trim() !== "" ? tolerance : Number.NaN,
      }),
    };
  }

  /** POST the sweep; the newest press wins, and a refusal shows its message, never a broken plot. */
  async sweep() {
    const { body, error } = this.requestBody();
    if (error) return this.showMessage(error);
    if (!Number.isFinite(body.tolerance)) return this.showMessage(t("sweep.error", { message: "tolerance: give a number" }));
    this.request?.abort();
    const request = new AbortController();
    this.request = request;
    const mode = this.mode;
    const runIndex = this.runIndex;
    const surface = this.lab.surface; // its minima and domain, as swept
    this.setBusy(true);
    const began = performance.now();
    try {
      const response = await fetch("/api/v1/sweep", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: request.signal,
      });
      const answer = await response.json().catch(() => ({ message: response.statusText }));
      if (!response.ok) throw new Error(answer.message || response.statusText);
      this.results[mode] = { answer, body, runIndex, surface, ms: Math.round(performance.now() - began) };
      this.showMessage(null);
      if (this.mode === mode) this.render();
    } catch (err) {
      if (err.name === "AbortError") return;
      this.showMessage(t("sweep.error", { message: err.message }));
    } finally {
      if (this.request === request) {
        this.request = null;
        this.setBusy(false);
      }
    }
  }

  setBusy(busy) {
    this.sweepButton.disabled = busy;
    this.spinner.hidden = !busy;
    if (busy) setText(this.status, "status.pending");
  }

  showMessage(text) {
    this.message.hidden = !text;
    this.message.textContent = text ?? "";
  }

  // --- drawing ----------------------------------------------------------------------------------

  render() {
    const result = this.results[this.mode];
    if (!result) {
      this.chart.clear();
      this.caption.hidden = true;
      this.stale.hidden = true;
      this.status.textContent = "";
      setChildren(this.legend);
      return;
    }
    const { answer } = result;
    const cells = answer.status.length * answer.status[0].length;
    setText(this.status, "sweep.done", { n: cells, steps: answer.steps, ms: result.ms });
    if (this.mode === "heat") this.renderHeat(result);
    else this.renderBasins(result);
    this.drawnMarker = JSON.stringify(this.marker());
    this.follow();
  }

  /** The run as the sweep ran it, named for captions. */
  runLabel(result) {
    const run = result.body.run;
    return this.lab.runName(run, result.runIndex);
  }

  axisMeta(result) {
    const optimizer = this.optimizerOf(result.body.run);
    return result.body.axes.map((a) => {
      const h = optimizer.hyperparameters.find((p) => p.name === a.name);
      return { ...a, title: catalogText(`hp.${a.name}`, h?.title ?? a.name) };
    });
  }

  renderHeat(result) {
    const { answer } = result;
    const [ax, ay] = this.axisMeta(result);
    const x = answer.axes[0].values.map((v) => toPlot(ax, v));
    const y = ay ? answer.axes[1].values.map((v) => toPlot(ay, v)) : [0];
    const layers = heatLayers(answer, this.view);
    const tol = formatNumber(answer.tolerance);
    const text = transpose(answer.status, (status, i, j) => this.heatText(answer, [ax, ay], i, j, tol));
    let zTicks = {};
    if (this.view === "loss" && layers.logScale) {
      const finite = layers.value.flat().filter((v) => v !== null);
      if (finite.length) zTicks = decadeTicks(Math.min(...finite), Math.max(...finite), (v) => formatNumber(v));
    }
    const axisFigure = (axis, values) => ({
      title: axis.title,
      ticks: axis.scale === "log" ? decadeTicks(values[0], values[values.length - 1], (v) => formatNumber(v)) : {},
    });
    this.chart.showHeat({
      x,
      y,
      xAxis: axisFigure(ax, x),
      yAxis: ay ? axisFigure(ay, y) : null,
      layers,
      text,
      zTitle: this.view === "steps" ? t("sweep.zSteps", { tol }) : t(layers.logScale ? "sweep.zLossLog" : "sweep.zLoss"),
      zTicks,
      marker: this.marker(),
    });
    setText(this.caption, this.view === "steps" ? "sweep.captionSteps" : "sweep.captionLoss", { run: this.runLabel(result), steps: answer.steps, tol });
    this.caption.hidden = false;
    const items = [this.legendItem(DIVERGED_COLOR, "sweep.legendDiverged")];
    if (this.view === "steps") items.push(this.legendItem(NEVER_COLOR, "sweep.legendNever", { tol }));
    items.push(this.legendRing(this.lab.runList.styleOf(result.runIndex).color, "sweep.legendCurrent", { n: result.runIndex + 1 }));
    setChildren(this.legend, items);
  }

  heatText(answer, axes, i, j, tol) {
    const lines = axes.filter(Boolean).map((a, k) => `${a.title} = ${formatNumber(answer.axes[k].values[k === 0 ? i : j], 4)}`);
    if (answer.status[i][j] === "diverged") {
      lines.push(t("sweep.hoverDiverged", { k: answer.diverged_at[i][j] }));
    } else {
      lines.push(t("sweep.hoverLoss", { loss: formatNumber(answer.final_loss[i][j], 4) }));
      const k = answer.steps_to_tolerance[i][j];
      lines.push(k === null ? t("sweep.hoverNever", { tol }) : t("sweep.hoverSteps", { tol, k }));
    }
    return lines.join("<br>");
  }

  renderBasins(result) {
    const { answer } = result;
    const surface = result.surface;
    // A typed surface has no known minima: the places where most of its starts end stand in for them.
    const ends = Boolean(surface.custom);
    const minima = ends ? endClusters(answer, surface.domain) : surface.minima;
    const { category, counts } = classifyBasins(answer, minima, surface.domain);
    const colors = [...minima.map((_, k) => BASIN_COLORS[k % BASIN_COLORS.length]), STALLED_COLOR, DIVERGED_COLOR];
    const [xs, ys] = answer.axes.map((a) => a.values);
    const text = transpose(answer.status, (status, i, j) => this.basinText(answer, category[i][j], minima, i, j, ends));
    const grid = this.grid?.surface === JSON.stringify(result.body.surface) ? this.grid.grid : null;
    this.chart.showBasins({
      x: xs,
      y: ys,
      categories: transpose(category, (k) => k),
      colors,
      text,
      minima,
      domain: surface.domain,
      contour: grid && { x: grid.x, y: grid.y, z: grid.log_levels ? this.logLevels(grid.z) : grid.z },
      marker: this.marker(),
    });
    setText(this.caption, ends ? "sweep.captionBasinEnds" : "sweep.captionBasin", { run: this.runLabel(result), steps: answer.steps });
    this.caption.hidden = false;
    const total = xs.length * ys.length;
    const share = (n) => ({ key: "sweep.legendShare", args: { share: Math.round((100 * n) / total) } });
    const items = minima.map((m, k) => {
      const [x, y] = formatPoint(m);
      return this.legendItem(colors[k], "sweep.legendMinimum", { x, y }, share(counts[k]));
    });
    items.push(this.legendItem(STALLED_COLOR, ends ? "sweep.legendElsewhere" : "sweep.legendStalled", null, share(counts[minima.length])));
    items.push(this.legendItem(DIVERGED_COLOR, "sweep.legendDiverged", null, share(counts[minima.length + 1])));
    items.push(this.legendRing("#111827", "sweep.legendStart"));
    setChildren(this.legend, items);
  }

  basinText(answer, k, minima, i, j, ends = false) {
    const [x, y] = formatPoint([answer.axes[0].values[i], answer.axes[1].values[j]]);
    const lines = [t("sweep.hoverStart", { x, y })];
    if (answer.status[i][j] === "diverged") {
      lines.push(t("sweep.hoverDiverged", { k: answer.diverged_at[i][j] }));
    } else {
      const [mx, my] = formatPoint(answer.final_point[i][j]);
      const loss = formatNumber(answer.final_loss[i][j], 3);
      lines.push(t(k < minima.length ? (ends ? "sweep.hoverEnd" : "sweep.hoverMinimum") : "sweep.hoverStalled", { mx, my, loss }));
    }
    return lines.join("<br>");
  }

  logLevels(z) {
    return contourLevels(z, true);
  }

  legendItem(color, key, args = null, share = null) {
    const swatch = el("span", { class: "sweep-swatch", "aria-hidden": "true" });
    swatch.style.background = color;
    const label = setText(el("span", { class: "legend-name" }), key, args ?? undefined);
    const count = share ? setText(el("span", { class: "legend-outcome" }), share.key, share.args) : null;
    return el("li", { class: "legend-item sweep-legend-item" }, swatch, label, count);
  }

  legendRing(color, key, args) {
    const ring = el("span", { class: "sweep-swatch ring", "aria-hidden": "true" });
    ring.style.borderColor = color;
    return el("li", { class: "legend-item sweep-legend-item" }, ring, setText(el("span", { class: "legend-name" }), key, args));
  }

  // --- following the run --------------------------------------------------------------------------

  /** The ring: the swept run's current values (its start, on a basin map), in the figure's coordinates. */
  marker() {
    const result = this.results[this.mode];
    if (!result) return null;
    if (this.mode === "basin") return { x: this.state.start[0], y: this.state.start[1], color: "#111827" };
    const run = this.state.runs[result.runIndex];
    if (!run || run.optimizer !== result.body.run.optimizer) return null;
    const [ax, ay] = result.body.axes;
    return {
      x: toPlot(ax, run.hyperparameters[ax.name]),
      y: ay ? toPlot(ay, run.hyperparameters[ay.name]) : 0,
      color: this.lab.runList.styleOf(result.runIndex).color,
    };
  }

  /** After any change of the runs or the view: move the ring, and say when the map no longer shows the run. */
  follow() {
    const result = this.results[this.mode];
    if (!result) return;
    const marker = this.marker();
    const key = JSON.stringify(marker);
    if (key !== this.drawnMarker) {
      this.drawnMarker = key;
      this.chart.setMarker(marker);
    }
    const state = this.state;
    const run = state.runs[result.runIndex];
    let note = null;
    if (!run || run.optimizer !== result.body.run.optimizer) {
      note = ["sweep.otherOptimizer", { n: result.runIndex + 1 }];
    } else {
      const now = {
        surface: surfaceSpec(state),
        start: [...state.start],
        steps: state.steps,
        noise: { sigma: state.sigma, seed: state.seed },
        run: runSpec(run),
        axes: result.body.axes,
      };
      if (sweepContext(now) !== sweepContext(result.body)) note = ["sweep.stale"];
    }
    this.stale.hidden = !note;
    if (note) setText(this.stale, ...note);
  }

  /** A clicked cell: its values into the run (heatmap), or its start for every run (basin map). */
  pick(i, j) {
    const result = this.results[this.mode];
    if (!result) return;
    const values = result.answer.axes.map((a, k) => a.values[k === 0 ? i : j]);
    if (this.mode === "basin") {
      this.on.moveStart(values);
      return;
    }
    const hyperparameters = { ...result.body.run.hyperparameters };
    result.body.axes.forEach((a, k) => (hyperparameters[a.name] = values[k]));
    this.on.loadRun(result.runIndex, { ...structuredClone(result.body.run), hyperparameters });
  }

  /** The surface grid (for the basin map's level lines). */
  setGrid(surface, grid) {
    this.grid = { surface: JSON.stringify(surface), grid };
    if (this.mode === "basin" && this.results.basin) this.render();
  }

  relabel() {
    this.runNames = null;
    this.runsChanged();
    if (this.results[this.mode]) this.render();
  }
}
