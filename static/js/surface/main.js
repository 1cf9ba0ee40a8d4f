// The surface lab's controller: state ↔ URL, catalog-built controls, the live session, the charts.

import { pinStage } from "../dom.js";
import { Banner } from "../banner.js";
import { bindLanguageToggle, catalogText, onLanguageChange, setText, t } from "../i18n.js";
import { formatNumber } from "../numbers.js";
import {
  completeRun,
  completeSurfaceParams,
  CUSTOM,
  customStart,
  HIDEABLE,
  normalizeState,
  parseHash,
  runSpec,
  serializeState,
  surfaceOf,
  surfaceSpec,
  toSpec,
} from "../state.js";
import { nudgeRate } from "../share.js";
import { download, downloadBlob, trajectoriesCsv, trajectoriesJson } from "../export.js";
import { applyHidden, HashWriter, startPage } from "../page.js";
import { renderAbout } from "./about.js";
import { ContourChart, isWideDomain, LossChart } from "./charts.js";
import { RunList, SurfacePanel } from "./controls.js";
import { CurvaturePanel } from "./curvature.js";
import { gradientField } from "./curvaturemodel.js";
import { GridLoader } from "./grid.js";
import { LessonPanel } from "../lessons/panel.js";
import { renderLegend } from "./legend.js";
import { Player } from "./player.js";
import { RaceRecorder, recordWithProgress } from "./recorder.js";
import { SurfaceSession } from "./session.js";
import { StepSizePanel } from "./stepsize.js";
import { Surface3DChart } from "./surface3d.js";
import { SweepPanel } from "./sweep.js";
import { predictedLoss, TheoryPanel } from "./theory.js";
import { bindShareLive, followRoom, publishView, showView, syncPlayer } from "./following.js";
import { followedRoom } from "../follow.js";

const $ = (id) => document.getElementById(id);

class SurfaceLab {
  /** `lesson`: {lesson, lessons} when a lesson link opened the page, else null. */
  constructor(catalog, state, lesson = null) {
    this.catalog = catalog;
    this.state = state;
    this.paths = null; // the newest decoded `paths` frame
    this.pendingSeek = state.cursor;
    this.frame = { render: false, cursor: false, id: 0 };
    this.banner = new Banner($("banner"));
    this.hashWriter = new HashWriter((state) => serializeState(state));
    this.session = new SurfaceSession();

    this.contour = new ContourChart($("contour"), {
      onPickStart: (point) => this.moveStart(point),
      onHover: (point) => this.curvature?.setHover(point),
      onZoom: () => this.curvature?.drawArrows(),
    });
    this.surface3d = new Surface3DChart($("surface3d"));
    this.views = { field: false, threeD: false };
    this.grid = null;
    this.loss = new LossChart($("loss"));
    this.grad = new LossChart($("grad"), { field: "gradNorm" });
    this.wantedGrid = null; // the surface spec (JSON) whose grid the map is waiting for
    this.sendOnGrid = false; // a switch to a custom surface: the runs follow once its grid is in
    this.customMemory = null; // the last custom surface drawn, for a return to "Custom f(x, y)"
    this.grids = new GridLoader({
      onGrid: (surface, grid) => this.receiveGrid(surface, grid),
      onError: (message, surface, detail) => this.gridRefused(message, surface, detail),
    });
    this.surfacePanel = new SurfacePanel($("surface-panel"), catalog, state, {
      surface: (name) => this.changeSurface(name),
      params: (params) => this.changeSurfaceParams(params),
      custom: (custom) => this.changeCustom(custom),
      steps: (steps) => {
        this.state.steps = steps;
        this.runList.setSteps(steps);
        this.changeSpec({ steps });
      },
      noise: (noise) => {
        Object.assign(this.state, noise);
        this.changeSpec({ noise: { sigma: this.state.sigma, seed: this.state.seed } });
      },
      resetStart: () => this.moveStart([...this.surface.default_start]),
    });
    this.runList = new RunList($("run-list"), $("add-run"), catalog, state, {
      run: (index, run) => {
        this.send({ type: "update", run: index, ...runSpec(run) });
        this.runsChanged();
      },
      runs: (runs) => {
        this.send({ type: "update", runs: runs.map(runSpec) });
        this.runsChanged();
      },
    });
    this.sweeps = new SweepPanel($("sweep"), this, {
      loadRun: (index, run) => this.loadRun(index, run),
      moveStart: (point) => this.moveStart(point),
    });
    this.curvature = new CurvaturePanel($("curvature"), this, this.contour);
    this.stepSizes = new StepSizePanel($("step-size"), this);
    this.theory = new TheoryPanel(document.querySelector(".theory-card"), $("theory"), this, {
      useOptimum: (index, values) => {
        const run = this.state.runs[index];
        if (run) this.loadRun(index, { ...structuredClone(run), hyperparameters: { ...run.hyperparameters, ...values } });
      },
    });
    $("toggle-field").addEventListener("click", () => this.toggleView("field"));
    $("toggle-3d").addEventListener("click", () => this.toggleView("threeD"));
    this.player = new Player($("player"), readOnlyGuard(this, {
      play: () => (this.concealed ? this.player.setPlaying(false) : this.session.resume()),
      pause: () => this.session.pause(),
      step: (count) => this.session.step(count),
      seek: (step) => {
        this.setCursor(step);
        this.session.seek(step);
      },
      speed: (speed) => {
        this.state.speed = speed;
        this.session.speed(speed);
        this.saveHash();
      },
    }));
    this.player.setSpeed(state.speed);
    this.player.setSteps(state.steps);
    this.player.setCursor(state.cursor);
    this.startLesson(lesson);
    this.startFollowing();
    $("export-csv").addEventListener("click", () => this.exportRuns("csv"));
    $("export-json").addEventListener("click", () => this.exportRuns("json"));
    $("export-webm").addEventListener("click", () => this.recordRace());

    bindLanguageToggle(document, (lang) => {
      this.state.lang = lang;
      this.saveHash();
    });
    onLanguageChange(() => this.relabel());
    this.relabel();
    applyHidden(this.state.hide);
    renderAbout($("about"), this.surface);
    this.contour.setStart(state.start);
    this.loadGrid(this.surfaceSpec());
    this.listen();
    this.saveHash();
    pinStage(document.querySelector(".stage")); // the charts stay in view beside a long run list
  }

  /** The surface on display: its catalog entry, or a custom surface's expression and domain. */
  get surface() {
    return surfaceOf(this.state, this.catalog);
  }

  /** The surface as the server takes it (grid, live session, sweeps, curvature). */
  surfaceSpec() {
    return surfaceSpec(this.state);
  }

  /** Whether the paths on display were computed on the surface on display (a typed surface's runs come
   * back a moment after its map). */
  pathsOnSurface() {
    const header = this.paths?.header;
    if (!header || header.surface !== this.state.surface) return false;
    if (this.state.surface !== CUSTOM) return true;
    const { expression, domain } = header.surface_params ?? {};
    return expression === this.state.expr && JSON.stringify(domain) === JSON.stringify(this.state.domain);
  }

  // --- the lesson: the run stays hidden until the student predicts -----------------------------

  startLesson(context) {
    this.lesson = null;
    this.concealed = false;
    if (!context) return;
    this.lesson = new LessonPanel($("lesson"), { lesson: context.lesson, lessons: context.lessons, pick: this.state.pick }, {
      pick: (id) => {
        this.state.pick = id;
        this.saveHash();
        this.playLesson();
      },
      skip: () => this.playLesson(),
      finish: () => this.finishLesson(),
    });
    this.concealed = !this.state.pick;
    if (!this.concealed) this.lesson.setRunning(); // a link holding a choice: its answer once the run is in
    this.conceal();
  }

  conceal() {
    document.querySelector(".stage").classList.toggle("lesson-concealed", this.concealed);
    $("sweep-card").inert = this.concealed; // a sweep would give the answer away
    $("player").inert = this.concealed;
    this.requestRender();
  }

  /** The student chose: show the run and play it from the start; the answer comes at its end. */
  playLesson() {
    this.concealed = false;
    this.conceal();
    if (this.paths) this.runList.setStatuses(this.paths.runs);
    this.pendingSeek = 0;
    this.session.seek(0);
    this.session.resume();
    this.player.setPlaying(true);
  }

  /** Jump to the end of the run: the answer now. */
  finishLesson() {
    if (!this.paths) return;
    this.session.seek(this.paths.header.steps);
    this.player.setPlaying(false);
    this.setCursor(this.paths.header.steps);
  }

  /** The answer shows once the run has played to its end, and follows every later result. */
  updateLesson() {
    if (!this.lesson || this.concealed || !this.paths) return;
    const ended = this.state.cursor >= this.paths.header.steps;
    if (this.lesson.phase === "answer" || (this.lesson.phase === "running" && ended)) {
      this.lesson.showAnswer({ steps: this.paths.header.steps, runs: this.paths.runs });
    }
  }

  /** The runs on the page (not while a lesson still hides them) as a CSV or JSON file. */
  exportRuns(format) {
    if (!this.paths || this.concealed) return;
    const optimizers = this.paths.runs.map((_, i) => this.state.runs[i]?.optimizer ?? "");
    if (format === "csv") download(`descentlab-${this.state.surface}.csv`, trajectoriesCsv(this.paths.runs, optimizers), "text/csv");
    else download(`descentlab-${this.state.surface}.json`, trajectoriesJson(this.paths.runs, optimizers), "application/json");
  }

  /** The race as a WebM video drawn in the browser (progress bar, cancel), then downloaded. */
  async recordRace() {
    const runs = this.styledRuns();
    if (!runs.length) return;
    try {
      const blob = await recordWithProgress(new RaceRecorder(this.contour.div, runs, this.paths.header.steps), $("recording"), $("export-webm"));
      if (blob) downloadBlob(`descentlab-${this.state.surface}.webm`, blob);
    } catch (error) {
      this.banner.show("record", "error", "banner.error", { message: error.message }, { timeout: 12000 });
    }
  }

  // --- presenter keys ------------------------------------------------------------------------

  presenterKeys() {
    return {
      rate: (direction) => this.nudgeRates(direction),
      restart: () => {
        this.session.seek(0);
        this.session.resume();
        this.player.setPlaying(true);
      },
      lesson: (direction) => this.lesson?.advance(direction),
    };
  }

  /** Every run's learning rate one notch up or down (runs whose rate a piecewise schedule sets keep it). */
  nudgeRates(direction) {
    if (this.readOnly) return;
    for (const run of this.state.runs) {
      const spec = this.catalog.optimizers.find((o) => o.id === run.optimizer);
      const rate = spec?.hyperparameters.find((h) => h.name === "learning_rate");
      if (!rate || run.schedule?.name === "piecewise") continue;
      run.hyperparameters.learning_rate = nudgeRate(run.hyperparameters.learning_rate, direction, rate.min, rate.max);
    }
    this.runList.rebuild();
    this.send({ type: "update", runs: this.state.runs.map(runSpec) });
    this.runsChanged();
  }

  /** The run list or a run changed: the panels that offer a choice of runs follow. */
  runsChanged() {
    this.sweeps.runsChanged();
    this.curvature.runsChanged();
  }

  // --- map views: the gradient field over the contour, or the surface in 3D ----------------------

  toggleView(name) {
    this.views[name] = !this.views[name];
    this.showViews();
  }

  showViews() {
    const { field, threeD } = this.views;
    $("toggle-field").setAttribute("aria-pressed", String(field));
    $("toggle-3d").setAttribute("aria-pressed", String(threeD));
    $("toggle-field").disabled = threeD;
    this.contour.setField(field && this.grid ? fieldTrace(gradientField(this.grid, this.surface.domain)) : null);
    $("contour").hidden = threeD;
    document.querySelector(".contour-card").classList.toggle("three-d", threeD);
    this.surface3d.show(threeD);
    const caption = $("view-caption");
    caption.hidden = !(field || threeD);
    if (threeD) setText(caption, this.grid?.log_levels ? "view.3dCaptionLog" : "view.3dCaption");
    else if (field) setText(caption, "view.fieldCaption");
    this.requestRender();
  }

  /** A sweep's cell loaded into run `index`: its sliders and its path follow. */
  loadRun(index, run) {
    if (this.readOnly || !this.state.runs[index]) return;
    this.runList.setRun(index, completeRun(run, this.catalog));
  }

  // --- talking to the server --------------------------------------------------------------------

  listen() {
    const session = this.session;
    const connecting = setTimeout(() => this.banner.show("connection", "info", "banner.connecting"), 800);
    session.on("open", () => {
      clearTimeout(connecting);
      this.banner.hide("connection");
      session.start(toSpec(this.state), false);
      session.speed(this.state.speed);
      if (this.followed) syncPlayer(this, this.followed);
    });
    session.on("close", ({ willRetry }) => {
      if (willRetry) this.banner.show("connection", "info", "banner.reconnecting");
      this.player.setPlaying(false);
      this.pendingSeek = this.state.cursor;
    });
    session.on("paths", (frame) => this.receivePaths(frame));
    session.on("tick", (frame) => this.setCursor(frame.cursor));
    session.on("state", (message) => {
      this.player.setPlaying(message.playing);
      this.publishView();
      this.player.setSpeed(message.steps_per_second);
      if (Number.isInteger(message.cursor) && !this.pendingSeek) this.setCursor(message.cursor);
    });
    session.on("error", (message) => {
      this.banner.show("ws-error", "error", "banner.error", { message: message.message }, { timeout: 12000 });
      // A custom surface refused by the live session (its start where f is undefined): said under the formula too.
      if (this.state.surface === CUSTOM && /surface\.custom|f\(x, y\)/.test(message.message ?? "")) {
        this.surfacePanel.editor.showError(message.message);
        this.sessionRefused = true; // cleared by the next paths the session accepts
      }
      if (this.paths && !this.concealed) this.runList.setStatuses(this.paths.runs);
      this.setBusy(false);
    });
    session.connect();
  }

  send(message) {
    this.saveHash();
    if (message.type === "update") this.setBusy(true);
    this.session.send(message);
  }

  /** A spec-level change (the state is already updated): mark runs pending, tell the server. */
  changeSpec(patch) {
    this.runList.cards.forEach((c) => c.setPending());
    this.setBusy(true);
    this.send({ type: "update", ...patch });
    this.sweeps.follow();
  }

  changeSurface(name) {
    if (this.state.surface === CUSTOM) this.customMemory = { expr: this.state.expr, domain: this.state.domain };
    if (name === CUSTOM) {
      const grammar = this.catalog.custom_surface;
      const { expr, domain } = this.customMemory ?? { expr: grammar.default_expression, domain: grammar.default_domain };
      Object.assign(this.state, { surface: CUSTOM, params: {}, expr, domain: domain.map((r) => [...r]) });
    } else {
      Object.assign(this.state, { surface: name, params: completeSurfaceParams(this.catalog.surfaces.find((s) => s.name === name), {}), expr: null, domain: null });
    }
    const surface = this.surface;
    this.state.start = [...surface.default_start];
    this.surfacePanel.buildParams();
    this.surfacePanel.setStart(this.state.start);
    this.contour.setStart(this.state.start);
    renderAbout($("about"), surface);
    this.loadGrid(this.surfaceSpec());
    // A typed surface goes to the runs with its grid, which tells where f is defined (the start must be).
    this.sendOnGrid = name === CUSTOM;
    if (!this.sendOnGrid) this.changeSpec({ surface: this.surfaceSpec(), start: this.state.start });
    else {
      this.runList.cards.forEach((c) => c.setPending());
      this.setBusy(true);
      this.saveHash();
    }
  }

  /** Ask for the grid of `spec`; the map keeps what it shows until that grid (or a newer ask's) arrives. */
  loadGrid(spec) {
    this.wantedGrid = JSON.stringify(spec);
    this.grids.load(spec);
  }

  receiveGrid(surface, grid) {
    const key = JSON.stringify(surface);
    if (key !== this.wantedGrid) return; // overtaken by a newer ask
    if (surface.name === CUSTOM) {
      this.surfacePanel.editor.clearError();
      if (this.sendOnGrid || key !== JSON.stringify(this.surfaceSpec())) this.commitCustom(surface, grid);
    }
    document.querySelector(".charts").classList.toggle("wide-map", isWideDomain(this.surface.domain));
    this.contour.setSurface(this.surface, grid);
    this.surface3d.setSurface(this.surface, grid);
    this.grid = grid;
    this.showViews();
    this.sweeps.setGrid(surface, grid);
    this.requestRender();
  }

  /** A grid refused. A typed expression's refusal is shown under it (the characters it points at marked)
   * and changes nothing else: the map, the runs and the link keep the last surface that worked. */
  gridRefused(message, surface, detail) {
    if (JSON.stringify(surface) !== this.wantedGrid) return;
    if (surface.name === CUSTOM && this.state.surface === CUSTOM) {
      const ctx = detail.map((d) => d.ctx).find((c) => c && Number.isInteger(c.position)) ?? null;
      this.surfacePanel.editor.showError(message, ctx);
      this.wantedGrid = JSON.stringify(this.surfaceSpec());
      return;
    }
    this.banner.show("grid", "error", "banner.error", { message });
  }

  /** The editor's expression and domain, typed: drawn and run once the server has sampled them. */
  changeCustom({ expression, domain }) {
    if (this.readOnly || this.state.surface !== CUSTOM) return;
    this.loadGrid({ name: CUSTOM, expression, domain });
  }

  /** A typed surface the server accepted becomes the page's: the link, the start (kept where f is defined
   * on the new domain, else moved), the description, and the runs. */
  commitCustom(surface, grid) {
    this.sendOnGrid = false;
    this.state.expr = surface.expression;
    this.state.domain = surface.domain.map((r) => [...r]);
    this.customMemory = { expr: this.state.expr, domain: this.state.domain };
    const start = definedStart(grid, this.state.start, this.state.domain);
    if (start !== this.state.start) {
      this.state.start = start;
      this.surfacePanel.setStart(start);
      this.contour.setStart(start);
    }
    renderAbout($("about"), this.surface);
    this.changeSpec({ surface: this.surfaceSpec(), start: this.state.start });
  }

  changeSurfaceParams(params) {
    this.state.params = params;
    this.loadGrid(this.surfaceSpec());
    this.changeSpec({ surface: this.surfaceSpec() });
  }

  moveStart(point) {
    if (this.readOnly) return;
    this.state.start = point;
    this.surfacePanel.setStart(point);
    this.contour.setStart(point);
    this.requestRender();
    this.changeSpec({ start: point });
  }

  setBusy(busy) {
    $("busy").hidden = !busy;
  }

  receivePaths(frame) {
    // A frame computed before the run list last changed (a run removed, a teacher's view shown) is
    // stale: its runs no longer line up with the cards. The frame for the new list is on its way.
    if (frame.runs.length !== this.state.runs.length) return;
    this.paths = frame;
    if (this.sessionRefused) {
      this.sessionRefused = false;
      this.surfacePanel.editor?.clearError();
    }
    this.setBusy(false);
    if (!this.concealed) {
      this.runList.setStatuses(frame.runs); // a run card's status would give the answer away
      this.runList.setRates(frame.runs, frame.header.steps);
    }
    this.player.setSteps(frame.header.steps);
    if (!this.pendingSeek) this.setCursor(frame.header.cursor);
    this.requestRender();
    if (this.lesson?.phase === "running" && this.state.pick && !this.player.playing && this.state.cursor === 0) this.finishLesson();
    this.updateLesson();
    if (this.pendingSeek > 0) {
      const step = Math.min(this.pendingSeek, frame.header.steps);
      this.pendingSeek = 0;
      this.session.seek(step);
    }
  }

  // --- drawing --------------------------------------------------------------------------------

  setCursor(cursor) {
    this.state.cursor = cursor;
    this.player.setCursor(cursor);
    if (this.lesson?.phase === "running" && this.paths && cursor >= this.paths.header.steps) this.updateLesson();
    this.frame.cursor = true;
    this.schedule();
    this.saveHash();
  }

  requestRender() {
    this.frame.render = true;
    this.schedule();
  }

  /** Draw at most once per animation frame, however many frames arrived. */
  schedule() {
    if (this.frame.id) return;
    this.frame.id = requestAnimationFrame(() => {
      const { render, cursor } = this.frame;
      this.frame = { render: false, cursor: false, id: 0 };
      if (render) this.render();
      else if (cursor) this.drawCursor();
    });
  }

  runName(run, i) {
    const spec = this.catalog.optimizers.find((o) => o.id === run.optimizer);
    return `${i + 1} · ${catalogText(`optimizer.${run.optimizer}`, spec?.name ?? run.optimizer)}`;
  }

  /** The runs as drawn: none while a lesson's question is still open. */
  styledRuns() {
    if (this.concealed) return [];
    return (this.paths?.runs ?? []).map((run, i) => ({ ...run, ...this.runList.styleOf(i), name: this.runName(run, i) }));
  }

  cursorPoints() {
    const k = this.state.cursor;
    if (this.concealed) return [];
    return (this.paths?.runs ?? []).map((run, i) => {
      const at = Math.min(k, run.x.length - 1);
      return { x: run.x[at], y: run.y[at], loss: run.loss[at], color: this.runList.styleOf(i).color };
    });
  }

  render() {
    const runs = this.styledRuns();
    this.contour.setPaths(runs);
    this.contour.cursor = this.cursorPoints();
    this.contour.render();
    this.loss.setRuns(runs, this.paths?.header.steps ?? this.state.steps);
    this.loss.setGuides(this.theoryGuides(runs));
    this.loss.cursor = this.state.cursor;
    this.loss.render();
    this.grad.setRuns(runs, this.paths?.header.steps ?? this.state.steps);
    this.grad.cursor = this.state.cursor;
    this.grad.render();
    this.surface3d.setPaths(runs);
    this.surface3d.cursor = this.cursorPoints();
    this.surface3d.render();
    this.stepSizes.cursor = this.state.cursor;
    this.stepSizes.render();
    this.curvature.follow();
    this.theory.update();
    $("loss-empty").hidden = runs.length > 0 || this.concealed;
    $("export-webm").disabled = !runs.length;
    $("loss-concealed").hidden = !this.concealed;
    renderLegend($("legend"), runs);
  }

  /** The loss theory predicts for each quadratic run it describes: dashed, in the run's colour. */
  theoryGuides(runs) {
    if (this.state.surface !== "quadratic" || !this.paths) return [];
    return runs.flatMap((run) => {
      const points = predictedLoss(run, this.paths.header.steps);
      return points ? [{ x: points.map((p) => p[0]), y: points.map((p) => p[1]), color: run.color, name: run.name }] : [];
    });
  }

  drawCursor() {
    const points = this.cursorPoints();
    this.contour.setCursor(points);
    this.surface3d.setCursor(points);
    this.loss.setCursor(this.state.cursor);
    this.grad.setCursor(this.state.cursor);
    this.stepSizes.setCursor(this.state.cursor);
    this.curvature.follow();
  }

  relabel() {
    this.contour.setLabels({
      minimum: t("legend.minimum"),
      start: t("legend.start"),
      step: t("hover.step", { k: "%{pointNumber}" }), // Plotly fills in the point's number
      diverged: (step) => t("legend.divergedAt", { step }),
      finalLoss: (loss) => t("legend.finalLossValue", { loss: formatNumber(loss) }),
    });
    this.runList.relabel();
    this.sweeps.relabel();
    this.curvature.relabel();
    this.theory.update(true);
    this.surface3d.setLabels({ height: t("axis.height"), heightLog: t("axis.heightLog") });
    this.player.renderCursor(); // its screen-reader text
    this.loss.setLabels({ step: t("axis.step"), loss: t("axis.loss"), lossLog: t("axis.lossLog") });
    this.grad.setLabels({ step: t("axis.step"), loss: t("axis.grad"), lossLog: t("axis.gradLog") });
    this.requestRender();
  }

  saveHash() {
    this.hashWriter.save(this.state);
    this.publishView();
  }

  // --- follow the teacher -------------------------------------------------------------------

  startFollowing() {
    this.leader = null; // a FollowLead while this page shares its view live
    this.readOnly = false;
    const button = $("follow-button");
    if (button) bindShareLive(this, button);
    const room = followedRoom();
    if (room) this.follower = followRoom(this, room);
  }

  publishView() {
    if (this.leader) publishView(this);
  }

  showView(view) {
    showView(this, view);
    this.runsChanged();
  }

  /** A follower looks but does not touch: the controls, the player and the map are inert. */
  setReadOnly(on) {
    this.readOnly = on;
    $("sidebar").inert = on;
    $("player").inert = on || this.concealed;
    if (!on) this.followed = null;
  }
}

/** The grid value nearest to (x, y) (null where f is undefined). */
function gridValue(grid, [x, y]) {
  const nearest = (axis, v) => {
    let best = 0;
    for (let k = 1; k < axis.length; k++) if (Math.abs(axis[k] - v) < Math.abs(axis[best] - v)) best = k;
    return best;
  };
  return grid.z[nearest(grid.y, y)]?.[nearest(grid.x, x)] ?? null;
}

/**
 * A start for a typed surface: `start` itself when it lies in the domain where f is defined; else the
 * domain's default start, or the grid node nearest to it where f is defined. Returns `start` unchanged
 * (the same array) when it stays.
 */
function definedStart(grid, start, [xr, yr]) {
  const inside = start[0] >= xr[0] && start[0] <= xr[1] && start[1] >= yr[0] && start[1] <= yr[1];
  if (inside && gridValue(grid, start) !== null) return start;
  const fallback = customStart([xr, yr]);
  if (gridValue(grid, fallback) !== null) return fallback;
  let best = null;
  let distance = Infinity;
  grid.z.forEach((row, i) =>
    row.forEach((v, j) => {
      const d = Math.hypot(grid.x[j] - fallback[0], grid.y[i] - fallback[1]);
      if (v !== null && d < distance) (best = [grid.x[j], grid.y[i]]), (distance = d);
    }),
  );
  return best ?? fallback;
}

/** The gradient field's arrows ({x, y} polylines) as one line trace under the paths. */
function fieldTrace({ x, y }) {
  return { type: "scatter", mode: "lines", x, y, hoverinfo: "skip", showlegend: false, line: { color: "rgba(17, 24, 39, 0.55)", width: 1.4 }, meta: { role: "field" } };
}

/** Player intents do nothing while the page follows a teacher (a key press must not fork the view). */
function readOnlyGuard(lab, on) {
  return Object.fromEntries(Object.entries(on).map(([name, fn]) => [name, (...args) => (lab.readOnly ? undefined : fn(...args))]));
}

startPage({
  parse: (hash) => parseHash(hash),
  hideable: HIDEABLE,
  create: (catalog, partial, lesson) => new SurfaceLab(catalog, normalizeState(partial, catalog), lesson),
  globalName: "surfaceLab",
});

