// The network lab's controller: state ↔ URL, the lesson, data and network panels, the live session
// (start on structural changes, update on values), and one or two networks' views.

import { Banner } from "../banner.js";
import { el, pinStage, setChildren } from "../dom.js";
import { bindLanguageToggle, catalogText, onLanguageChange, setText, t } from "../i18n.js";
import { initLabel } from "../netfields.js";
import { parseHash, serializeState } from "../state.js";
import { applyHidden, HashWriter, startPage } from "../page.js";
import { DataPanel, PresetPanel } from "./controls.js";
import { NetworkHistory } from "./history.js";
import { NetworkPanel } from "./panel.js";
import { NetworkPlayer } from "./player.js";
import { NetworkSession } from "./session.js";
import { HIDEABLE, PROPS, comparePartner, matchingLesson, normalizeState, toSpec, trainingSamples } from "./state.js";
import { NetworkView } from "./view.js";
import { LessonPanel } from "../lessons/panel.js";
import { nudgeRate } from "../share.js";
import { download, historyCsv, historyJson } from "../export.js";

const $ = (id) => document.getElementById(id);

/** "5-5-5-5-5" reads as "5 layers × 5"; mixed widths are listed: "64-32-16". */
function architecture(hidden) {
  const same = hidden.every((w) => w === hidden[0]);
  return same && hidden.length > 2 ? t("net.arch", { n: hidden.length, w: hidden[0] }) : hidden.join("-");
}
const RESTART_MS = 250; // a dragged structural slider (batch size, n) restarts once it settles
const RENDER_MS = 100; // charts redraw at most ten times a second
const PREPARING_AFTER_MS = 400; // a start slower than this shows "preparing this network… n s"
const MC_SAMPLES = 50; // Monte-Carlo dropout: forward passes per spread map

class NetworkLab {
  /** `lesson`: {lesson, lessons} when a lesson link opened the page, else null. */
  constructor(catalog, state, lesson = null) {
    this.catalog = catalog;
    this.state = state;
    this.active = 0; // the network the panel edits
    this.awaitingSetup = true;
    this.histories = [];
    this.data = null;
    this.banner = new Banner($("banner"));
    this.hashWriter = new HashWriter((state) => serializeState(state, PROPS));
    this.session = new NetworkSession();
    this.lessons = new PresetPanel($("lessons"), {
      lesson: (lesson) => this.applyLesson(lesson),
      compare: (on) => this.setCompare(on),
      mc: (on) => this.setMc(on),
    });
    this.mcAsked = []; // per network: the step of the newest mc_dropout request
    this.player = new NetworkPlayer($("player"), {
      play: () => {
        if (this.concealed) return this.player.setPlaying(false);
        this.session.resume();
        this.expectChunk();
      },
      pause: () => {
        this.session.pause();
        this.expectChunk(false);
      },
      step: () => this.session.step(1),
      reset: () => this.restart(false),
      speed: (speed) => {
        this.state.speed = speed;
        this.session.speed(speed);
        this.saveHash();
      },
    });
    this.player.setSpeed(state.speed);
    bindLanguageToggle(document, (lang) => {
      this.state.lang = lang;
      this.saveHash();
    });
    onLanguageChange(() => this.relabel());
    this.buildAll();
    applyHidden(this.state.hide);
    this.startLesson(lesson);
    $("export-csv").addEventListener("click", () => download("descentlab-network.csv", historyCsv(this.histories), "text/csv"));
    $("export-json").addEventListener("click", () => download("descentlab-network.json", historyJson(this.histories), "application/json"));
    this.listen();
    pinStage(document.querySelector(".stage"));
  }

  // --- building the page ------------------------------------------------------------------------

  buildAll() {
    this.dataPanel = new DataPanel($("data-panel"), this.catalog, this.state, () => this.structuralChange());
    this.buildViews();
    this.buildNetworkPanel();
    this.sync();
  }

  buildViews() {
    const compare = this.state.nets.length > 1;
    this.views = this.state.nets.map((_, i) => new NetworkView(i, { compare }));
    const container = $("views");
    container.classList.toggle("compare", compare);
    setChildren(container, this.views.map((v) => v.root));
    this.views.forEach((v, i) => this.histories[i] && this.data && v.reset(this.data, this.histories[i]));
    applyHidden(this.state.hide);
    this.requestRender();
  }

  buildNetworkPanel() {
    const compare = this.state.nets.length > 1;
    this.active = Math.min(this.active, this.state.nets.length - 1);
    const tabs = compare
      ? this.state.nets.map((_, i) => {
          const tab = el("button", { type: "button", role: "tab", class: "tab", "aria-selected": String(i === this.active), on: { click: () => this.selectTab(i) } });
          setText(tab, "net.tab", { name: "AB"[i] });
          return tab;
        })
      : [];
    setChildren($("net-tabs"), tabs);
    $("net-tabs").hidden = !compare;
    setText($("net-heading"), compare ? "net.panelOne" : "panel.network", { name: "AB"[this.active] });
    const nTrain = trainingSamples(this.state.data, this.state.val);
    this.panel = new NetworkPanel($("net-panel"), this.catalog, this.state.nets[this.active], nTrain, {
      structural: () => this.structuralChange(),
      values: (patch) => this.valueChange(this.active, patch),
    });
    $("net-panel").dataset.net = String(this.active);
  }

  selectTab(i) {
    this.active = i;
    this.buildNetworkPanel();
  }

  /** The lesson menu, the views' titles and the URL follow the state. */
  sync() {
    this.lessons.set(matchingLesson(this.state, this.catalog), this.state.nets.length > 1);
    this.lessons.setMc(this.state.mc);
    this.views.forEach((view) => view.showMc(this.state.mc));
    this.views.forEach((view, i) => view.setTitle(this.netTitle(this.state.nets[i])));

    this.saveHash();
  }

  netTitle(net) {
    const text = (key, fallback) => (fallback === undefined ? t(key) : catalogText(key, fallback));
    const activation = this.catalog.activations.find((a) => a.name === net.activation);
    const optimizer = this.catalog.optimizers.find((o) => o.id === net.optimizer);
    // what sets two compared networks apart must show: batch norm, residual, dropout, penalties
    const tags = [
      net.batch_norm && "BN",
      net.residual && t("net.tag.residual"),
      net.dropout > 0 && t("net.tag.dropout", { p: net.dropout }),
      net.l1 > 0 && `L1 ${net.l1}`,
      net.l2 > 0 && `L2 ${net.l2}`,
    ].filter(Boolean);
    const parts = [
      `${catalogText(`activation.${net.activation}`, activation.title)} + ${initLabel(net.init, this.catalog, text)}`,
      architecture(net.hidden),
      ...tags,
      catalogText(`optimizer.${net.optimizer}`, optimizer.name),
    ];
    return parts.join(" · ");
  }

  // --- changes ----------------------------------------------------------------------------------

  /** Architecture, init, optimizer, batch or data changed: a new `start` once the control settles. */
  structuralChange() {
    const nTrain = trainingSamples(this.state.data, this.state.val);
    for (const net of this.state.nets) {
      const fullBatch = this.catalog.optimizers.find((o) => o.id === net.optimizer)?.full_batch_only;
      net.batch = fullBatch ? nTrain : Math.min(net.batch, nTrain);
    }
    if (nTrain !== this.panel.nTrain) this.buildNetworkPanel(); // the batch slider's range moved
    this.sync();
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => this.restart(this.player.playing), RESTART_MS);
  }

  /** A value a running network takes at its next step: an `update`, no restart. */
  valueChange(net, patch) {
    this.session.update(net, patch);
    this.sync();
  }

  applyLesson(lesson) {
    const { speed, seed, spc, lang, hide, mc } = this.state;
    this.state = normalizeState({ data: lesson.data, nets: lesson.nets, val: 0.5, speed, seed, spc, lang, hide, mc }, this.catalog);
    this.active = 0;
    this.buildAll();
    this.restart(this.player.playing);
  }

  setCompare(on) {
    const nets = this.state.nets;
    if (on && nets.length === 1) nets.push(comparePartner(nets[0]));
    if (!on && nets.length === 2) nets.splice(1, 1);
    this.state = normalizeState(this.state, this.catalog);
    this.active = on ? 1 : 0;
    this.histories = [];
    this.buildViews();
    this.buildNetworkPanel();
    this.sync();
    this.restart(this.player.playing);
  }

  // --- the lesson: training waits for the student's prediction -----------------------------------

  startLesson(context) {
    this.lesson = null;
    this.concealed = false;
    if (!context) return;
    this.untilStep = context.lesson.until_step;
    this.lesson = new LessonPanel($("lesson"), { lesson: context.lesson, lessons: context.lessons, pick: this.state.pick }, {
      pick: (id) => {
        this.state.pick = id;
        this.saveHash();
        this.trainLesson();
      },
      skip: () => this.trainLesson(),
    });
    this.concealed = !this.state.pick;
    if (!this.concealed) this.lesson.setRunning(); // a link holding a choice trains as soon as it is set up
    $("player").inert = this.concealed;
    document.body.classList.toggle("lesson-open", this.concealed); // the preset's note would tell the answer
  }

  /** The student chose: train the networks (built at step 0 meanwhile) exactly to the lesson's step, as
   * fast as the server can, then answer (the same numbers on every load: training is seeded). */
  trainLesson() {
    this.concealed = false;
    $("player").inert = false;
    document.body.classList.remove("lesson-open");
    this.session.step(Math.ceil(this.untilStep / this.state.spc));
    this.player.setBusy(true, "net.training");
  }

  /** Once every network has trained to the lesson's step: pause and answer with their numbers. */
  checkLesson() {
    if (this.lesson?.phase !== "running" || this.awaitingSetup) return;
    if (!this.histories.length || this.histories.some((h) => h.step < this.untilStep && !h.diverged)) return;
    this.session.pause(); // a network that diverged early must not keep the others going
    this.player.setPlaying(false);
    this.player.setBusy(false);
    this.expectChunk(false);
    this.lesson.showAnswer({ histories: this.histories });
  }

  // --- Monte-Carlo dropout ------------------------------------------------------------------

  setMc(on) {
    this.state.mc = on;
    this.mcAsked = [];
    this.views.forEach((view) => view.showMc(on));
    this.saveHash();
    this.requestMc();
  }

  /** Ask for each network's predictive spread once per new step it reached (at most once a second). */
  requestMc() {
    if (!this.state.mc || this.awaitingSetup || this.concealed) return;
    const now = performance.now();
    if (now - (this.mcAt ?? 0) < 1000) {
      clearTimeout(this.mcTimer);
      this.mcTimer = setTimeout(() => this.requestMc(), 1000 - (now - this.mcAt));
      return;
    }
    this.histories.forEach((history, net) => {
      if (!history.last || this.mcAsked[net] === history.step) return;
      this.mcAsked[net] = history.step;
      this.mcAt = now;
      this.session.send({ type: "mc_dropout", net, samples: MC_SAMPLES });
    });
  }

  receiveMc(frame) {
    if (this.awaitingSetup) return;
    this.views[frame.header.net]?.setMc(frame);
  }

  // --- presenter keys ------------------------------------------------------------------------

  presenterKeys() {
    return {
      rate: (direction) => this.nudgeRates(direction),
      restart: () => this.restart(true),
      lesson: (direction) => this.lesson?.advance(direction),
    };
  }

  /** Every network's learning rate one notch up or down, taken at its next step (no restart). */
  nudgeRates(direction) {
    this.state.nets.forEach((net, i) => {
      const spec = this.catalog.optimizers.find((o) => o.id === net.optimizer);
      const rate = spec?.hyperparameters.find((h) => h.name === "learning_rate");
      if (!rate) return;
      net.hyperparameters.learning_rate = nudgeRate(net.hyperparameters.learning_rate, direction, rate.min, rate.max);
      this.valueChange(i, { hyperparameters: { ...net.hyperparameters } });
    });
    this.buildNetworkPanel();
  }

  // --- the session ------------------------------------------------------------------------------

  listen() {
    const session = this.session;
    const connecting = setTimeout(() => this.banner.show("connection", "info", "banner.connecting"), 800);
    session.on("open", () => {
      clearTimeout(connecting);
      this.banner.hide("connection");
      session.speed(this.state.speed);
      this.restart(false);
      if (this.lesson?.phase === "running") this.trainLesson();
    });
    session.on("close", ({ willRetry }) => {
      if (willRetry) this.banner.show("connection", "info", "banner.reconnecting");
      this.player.setPlaying(false);
    });
    session.on("setup", (frame) => this.receiveSetup(frame));
    session.on("chunk", (frame) => this.receiveChunk(frame));
    session.on("mc_dropout", (frame) => this.receiveMc(frame));
    session.on("state", (message) => {
      this.player.setPlaying(message.playing);
      if (!message.playing) this.expectChunk(false);
      if (Number.isFinite(message.chunks_per_second)) this.player.setSpeed(message.chunks_per_second);
    });
    session.on("error", (message) => {
      this.banner.show("ws-error", "error", "banner.error", { message: message.message }, { timeout: 12000 });
      this.hidePreparing();
      this.player.setBusy(false);
    });
    session.connect();
  }

  /** A new `start`: chunks of the old networks still in flight are ignored until the setup frame. */
  restart(play) {
    clearTimeout(this.restartTimer);
    this.awaitingSetup = true;
    this.player.setBusy(true);
    this.session.start(toSpec(this.state), play);
    this.player.setPlaying(play);
    clearTimeout(this.stallTimer);
    this.showPreparing();
  }

  /** A start that takes long (a network size this server has not compiled yet) shows its wait in
   * seconds, never a frozen view; the setup frame (or an error) ends it. */
  showPreparing() {
    this.hidePreparing();
    const started = performance.now();
    const tick = () => {
      const seconds = Math.round((performance.now() - started) / 1000);
      this.banner.show("preparing", "info", "banner.preparing", { seconds });
    };
    this.preparingDelay = setTimeout(() => {
      tick();
      this.preparingTimer = setInterval(tick, 1000);
    }, PREPARING_AFTER_MS);
  }

  hidePreparing() {
    clearTimeout(this.preparingDelay);
    clearInterval(this.preparingTimer);
    this.banner.hide("preparing");
  }

  receiveSetup(frame) {
    const { header, arrays } = frame;
    this.hidePreparing();
    this.awaitingSetup = false;
    this.player.setBusy(false);
    if (this.player.playing) this.expectChunk();
    this.banner.hide("ws-error");
    this.data = { grid: header.grid, classes: header.classes, X_train: arrays.X_train.data, y_train: arrays.y_train.data, X_val: arrays.X_val.data, y_val: arrays.y_val.data };
    this.histories = header.networks.map((n) => new NetworkHistory(n));
    this.mcAsked = [];
    if (this.views.length !== this.histories.length) this.buildViews();
    this.views.forEach((view, i) => view.reset(this.data, this.histories[i]));
    this.requestRender();
  }

  /** While playing, a pause in the chunks (a large network's chunk, a bucket loading) says so. */
  expectChunk(waiting = true) {
    clearTimeout(this.stallTimer);
    if (!this.awaitingSetup) this.player.setBusy(false);
    if (waiting) this.stallTimer = setTimeout(() => this.player.setBusy(true, "net.training"), 900);
  }

  receiveChunk(frame) {
    if (this.awaitingSetup) return;
    if (this.player.playing) this.expectChunk();
    const history = this.histories[frame.header.net];
    if (!history) return;
    history.push(frame);
    this.checkLesson();
    this.requestRender();
  }

  // --- drawing ----------------------------------------------------------------------------------

  requestRender() {
    if (this.renderTimer) return;
    const wait = Math.max(0, RENDER_MS - (performance.now() - (this.renderedAt ?? 0)));
    this.renderTimer = setTimeout(() => {
      requestAnimationFrame(() => {
        this.renderTimer = 0;
        this.renderedAt = performance.now();
        const shared = this.sharedScales();
        for (const view of this.views) view.render(shared);
        this.requestMc();
        if (this.lesson?.phase === "answer") this.lesson.showAnswer({ histories: this.histories });
        const latest = this.histories.filter((h) => h?.last).map((h) => h.last.header).sort((a, b) => b.step - a.step)[0];
        if (latest) this.player.setStep(latest.step, latest.epoch);
      });
    }, wait);
  }

  /** Two networks side by side share their loss and gradient scales (one network: its own). */
  sharedScales() {
    // a diverged network keeps its own scales: its blow-up would flatten the other one's curves
    const histories = this.histories.filter((h) => h?.last && !h.diverged);
    if (histories.length < 2) return {};
    const lossMax = Math.max(...histories.flatMap((h) => [...h.curves.train_loss, ...h.curves.val_loss].filter(Number.isFinite)));
    const gradValues = histories.flatMap((h) => {
      const s = h.layers();
      return [...s.gradAbsMean, ...(s.firstGradAbsMean ?? [])];
    });
    return { lossMax, gradValues };
  }

  relabel() {
    this.views.forEach((view) => view.relabel());
    this.sync();
    this.requestRender();
  }

  saveHash() {
    this.hashWriter.save(this.state);
  }
}

startPage({
  parse: (hash) => parseHash(hash, PROPS, HIDEABLE),
  hideable: HIDEABLE,
  create: (catalog, partial, lesson) => new NetworkLab(catalog, normalizeState(partial, catalog), lesson),
  globalName: "networkLab",
});

