// The init experiment's controller: state ↔ URL, controls, POST /api/v1/init-experiment (debounced,
// newest wins), the histogram grid, the mean/std chart and the "what you see" card.

import { Banner } from "../banner.js";
import { el, setChildren } from "../dom.js";
import { bindLanguageToggle, catalogText, onLanguageChange, setCatalogText, setText, t } from "../i18n.js";
import { setMath } from "../mathml.js";
import { initLabel } from "../netfields.js";
import { formatNumber } from "../numbers.js";
import { parseHash, serializeState } from "../state.js";
import { applyHidden, HashWriter, startPage } from "../page.js";
import { HistogramGrid, MeanStdChart } from "./charts.js";
import { InitControls, PresetButtons } from "./controls.js";
import { HIDEABLE, PROPS, matchingPreset, normalizeState, toRequest } from "./state.js";
import { LessonPanel } from "../lessons/panel.js";
import { download, initHistogramsCsv } from "../export.js";

const $ = (id) => document.getElementById(id);
const DEBOUNCE_MS = 150;

/** Runs the experiment: one request in flight; changes while it runs keep only the newest. */
class ExperimentLoader {
  constructor({ onResult, onError, onBusy }) {
    Object.assign(this, { onResult, onError, onBusy });
    this.inFlight = false;
    this.queued = null;
    this.timer = 0;
  }

  request(body, { now = false } = {}) {
    clearTimeout(this.timer);
    this.queued = body;
    this.onBusy(true);
    if (now) this.next();
    else this.timer = setTimeout(() => this.next(), DEBOUNCE_MS);
  }

  async next() {
    if (this.inFlight || !this.queued) return;
    const body = this.queued;
    this.queued = null;
    this.inFlight = true;
    try {
      const response = await fetch("/api/v1/init-experiment", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      const answer = await response.json();
      if (!response.ok) throw new Error(answer.message ?? response.statusText);
      if (!this.queued) this.onResult(answer, body);
    } catch (err) {
      this.onError(err.message);
    } finally {
      this.inFlight = false;
      if (this.queued) this.next();
      else this.onBusy(false);
    }
  }
}

class InitLab {
  /** `lesson`: {lesson, lessons} when a lesson link opened the page, else null. */
  constructor(catalog, state, lesson = null) {
    this.catalog = catalog;
    this.state = state;
    this.result = null;
    this.banner = new Banner($("banner"));
    this.hashWriter = new HashWriter((state) => serializeState(state, PROPS));
    this.histograms = new HistogramGrid($("histograms"));
    this.meanStd = new MeanStdChart($("meanstd"));
    this.loader = new ExperimentLoader({
      onResult: (answer) => {
        this.banner.hide("request");
        this.result = answer;
        this.render();
      },
      onError: (message) => this.banner.show("request", "error", "banner.error", { message }, { timeout: 12000 }),
      onBusy: (busy) => this.setBusy(busy),
    });
    this.presets = new PresetButtons($("presets"), (preset) => this.applyPreset(preset));
    this.controls = new InitControls($("controls"), catalog, state, (patch) => this.change(patch));
    bindLanguageToggle(document, (lang) => {
      this.state.lang = lang;
      this.saveHash();
    });
    onLanguageChange(() => {
      this.renderAbout(matchingPreset(this.state, catalog));
      this.render();
    });
    applyHidden(this.state.hide);
    this.startLesson(lesson);
    $("export-csv").addEventListener("click", () => this.export("csv"));
    $("export-json").addEventListener("click", () => this.export("json"));
    this.sync();
    this.loader.request(toRequest(state), { now: true });
  }

  /** A lesson hides the charts until the student predicts, then answers from the result at once. */
  startLesson(context) {
    this.lesson = null;
    if (!context) return;
    const reveal = () => {
      document.querySelector(".stage").classList.remove("lesson-concealed");
      this.render();
    };
    this.lesson = new LessonPanel($("lesson"), { lesson: context.lesson, lessons: context.lessons, pick: this.state.pick }, {
      pick: (id) => {
        this.state.pick = id;
        this.saveHash();
        reveal();
      },
      skip: reveal,
    });
    const stage = document.querySelector(".stage");
    const note = () => (stage.dataset.concealed = t("lesson.concealed"));
    note();
    onLanguageChange(note);
    if (this.state.pick) this.lesson.setRunning();
    else stage.classList.add("lesson-concealed");
  }

  change(patch) {
    Object.assign(this.state, patch);
    this.sync();
    this.loader.request(toRequest(this.state));
  }

  applyPreset(preset) {
    this.state.activation = preset.activation;
    this.state.init = { ...preset.init };
    this.state = normalizeState(this.state, this.catalog);
    this.controls.set(this.state);
    this.sync();
    this.loader.request(toRequest(this.state), { now: true });
  }

  /** Everything that follows the state alone: preset buttons, the "what you see" card, the URL. */
  sync() {
    const preset = matchingPreset(this.state, this.catalog);
    this.presets.setActive(preset?.id ?? null);
    this.renderAbout(preset);
    this.saveHash();
  }

  setBusy(busy) {
    $("busy").hidden = !busy;
    clearTimeout(this.staleTimer);
    if (!busy) document.querySelector(".stage").classList.remove("stale");
    // Only a slow answer (a big stack) dims the charts; a quick one just swaps them.
    else this.staleTimer = setTimeout(() => document.querySelector(".stage").classList.add("stale"), 250);
  }

  render() {
    if (!this.result) return;
    const layers = this.result.layers;
    this.histograms.setLabels({ layer: (k) => t("init.layerN", { k }), spike: (p) => t("init.spike", { p }) });
    this.histograms.setLayers(layers);
    this.histograms.render();
    this.meanStd.setLabels({ layer: t("axis.layer"), mean: t("init.mean"), std: t("init.std"), value: t("axis.value") });
    this.meanStd.setLayers(layers);
    this.meanStd.render();
    const first = layers[0];
    const last = layers.at(-1);
    setText($("std-readout"), "init.stdReadout", { a: formatNumber(first.std), b: formatNumber(last.std), k: last.index });
    if (this.lesson && this.lesson.phase !== "question") this.lesson.showAnswer({ layers });
  }

  renderAbout(preset) {
    const activation = this.catalog.activations.find((a) => a.name === this.state.activation);
    const init = this.catalog.inits.find((i) => i.name === this.state.init.name);
    const title = el("h3", { class: "about-title" });
    setText(title, "init.setup", {
      init: initLabel(this.state.init, this.catalog, (key, fallback) => (fallback === undefined ? t(key) : catalogText(key, fallback))),
      activation: catalogText(`activation.${activation.name}`, activation.title),
    });
    const formulas = el("div", { class: "formula formula-pair" });
    setMath(formulas, activation.formula.mathml, init.formula.mathml);
    const lesson = el("p", { class: "lesson" });
    setText(lesson, preset ? `init.lesson.${preset.id}` : "init.lesson.custom");
    const reference = init.reference ? setCatalogText(el("p", { class: "reference" }), `init.${init.name}.reference`, init.reference) : null;
    setChildren($("about"), title, formulas, lesson, reference);
  }

  /** The experiment's layers as files: histograms as CSV; means, stds, edges and counts as JSON. */
  export(format) {
    if (!this.result || document.querySelector(".stage").classList.contains("lesson-concealed")) return;
    const layers = this.result.layers;
    if (format === "csv") download("descentlab-init-histograms.csv", initHistogramsCsv(layers), "text/csv");
    else download("descentlab-init.json", JSON.stringify(layers), "application/json");
  }

  presenterKeys() {
    return { lesson: (direction) => this.lesson?.advance(direction) };
  }

  saveHash() {
    this.hashWriter.save(this.state);
  }
}

startPage({
  parse: (hash) => parseHash(hash, PROPS, HIDEABLE),
  hideable: HIDEABLE,
  create: (catalog, partial, lesson) => new InitLab(catalog, normalizeState(partial, catalog), lesson),
  globalName: "initLab",
});

