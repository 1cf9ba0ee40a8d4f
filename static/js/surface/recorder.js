// The surface race as a WebM video made in the browser: the contour map rendered once to an image,
// then every frame drawn on a <canvas> (that image, each run's path up to step k, the current points,
// "step k / n") while a MediaRecorder records the canvas. No GPU and no server needed.
/* global Plotly */

import { t } from "../i18n.js";

const FPS = 30;
const HOLD_MS = 500; // the last frame stays this long
// Then no new frames for this long before stopping: a busy machine's encoder lags behind the canvas, and
// frames still queued at stop() are lost (in a loaded 2-core headless Chromium, up to the last 1.5 s).
const DRAIN_MS = 1000;
const BACKGROUND_ROLES = new Set(["surface", "minima", "start"]);
const DASHES = { solid: [], dot: [2, 4], dash: [9, 5], longdash: [14, 5], dashdot: [9, 4, 2, 4] };

/** How long the race itself plays: 4–6 s, longer for more steps (at most ~80 steps a second). */
export function raceSeconds(steps) {
  return Math.min(6, Math.max(4, steps / 80));
}

/** The WebM type this browser's MediaRecorder can write, or "" when it can write none. */
export function webmType() {
  if (typeof MediaRecorder === "undefined") return "";
  return ["video/webm;codecs=vp8", "video/webm"].find((type) => MediaRecorder.isTypeSupported(type)) ?? "";
}

export class RaceRecorder {
  /**
   * `div`: the contour plot (already drawn); `runs`: [{x, y, color, dash, status}] as drawn there;
   * `steps`: the race's last step.
   */
  constructor(div, runs, steps) {
    this.div = div;
    this.runs = runs;
    this.steps = Math.max(1, steps);
    this.cancelled = false;
    this.finish = null;
  }

  /** Record the race; resolves the WebM Blob, or null when cancelled. `onProgress(fraction)` per frame. */
  async record(onProgress = () => {}) {
    const type = webmType();
    if (!type) throw new Error(t("record.unsupported"));
    const full = this.div._fullLayout;
    if (!full?.xaxis) return null; // the map is not drawn yet
    const width = 2 * Math.floor(full.width / 2); // even sizes suit the video encoders
    const height = 2 * Math.floor(full.height / 2);
    const toPixel = this.mapping(full); // before the wait: the page's plot may change meanwhile
    const background = await this.background(full.width, full.height);
    if (this.cancelled) return null;
    const canvas = Object.assign(document.createElement("canvas"), { width, height });
    const context = canvas.getContext("2d");

    const chunks = [];
    const recorder = new MediaRecorder(canvas.captureStream(FPS), { mimeType: type, videoBitsPerSecond: 2_500_000 });
    recorder.ondataavailable = (event) => event.data.size && chunks.push(event.data);
    const stopped = new Promise((resolve) => (recorder.onstop = resolve));
    const raceMs = raceSeconds(this.steps) * 1000;
    const totalMs = raceMs + HOLD_MS + DRAIN_MS;
    this.drawFrame(context, background, toPixel, 0);
    recorder.start(250);

    await new Promise((resolve) => {
      const began = performance.now();
      this.finish = resolve;
      const tick = () => {
        if (this.cancelled) return resolve();
        const elapsed = performance.now() - began;
        if (elapsed <= raceMs + HOLD_MS) this.drawFrame(context, background, toPixel, Math.min(this.steps, Math.round((elapsed / raceMs) * this.steps)));
        onProgress(Math.min(1, elapsed / totalMs));
        if (elapsed >= totalMs) resolve();
        else requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    recorder.stop();
    await stopped;
    return this.cancelled ? null : new Blob(chunks, { type: "video/webm" });
  }

  cancel() {
    this.cancelled = true;
    this.finish?.();
  }

  /** The map without the runs (surface, minima, start), as shown now (zoom included), as an Image. */
  async background(width, height) {
    const data = this.div.data.filter((trace) => BACKGROUND_ROLES.has(trace.meta?.role)).map((trace) => ({ ...trace }));
    const layout = { ...structuredClone(this.div.layout), shapes: [], width, height };
    const url = await Plotly.toImage({ data, layout }, { format: "png", width, height });
    const image = new Image();
    image.src = url;
    await image.decode();
    return image;
  }

  /**
   * Data → canvas pixels, and the plot area, from the plot's (linear) axes as they are now: the image
   * has the plot's size, so its axes are these. A copy, so a later resize or zoom of the page's plot
   * does not move the paths off the recorded map.
   */
  mapping(full) {
    const linear = (axis) => {
      const [at0, slope] = [axis._offset + axis.l2p(0), axis.l2p(1) - axis.l2p(0)];
      return (v) => at0 + slope * v;
    };
    const [xa, ya] = [full.xaxis, full.yaxis];
    return { x: linear(xa), y: linear(ya), area: [xa._offset, ya._offset, xa._length, ya._length] };
  }

  drawFrame(context, background, toPixel, k) {
    const { width, height } = context.canvas;
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, width, height);
    context.drawImage(background, 0, 0);
    context.save();
    context.beginPath();
    context.rect(...toPixel.area);
    context.clip();
    const ends = this.runs.map((run) => lastFinite(run, k));
    this.runs.forEach((run, i) => this.strokePath(context, toPixel, run, ends[i], { color: "rgba(255,255,255,0.8)", width: 5.5 }));
    this.runs.forEach((run, i) => this.strokePath(context, toPixel, run, ends[i], { color: run.color, width: 2.5, dash: DASHES[run.dash] ?? [] }));
    this.runs.forEach((run, i) => {
      const at = ends[i];
      if (at < 0) return;
      const [px, py] = [toPixel.x(run.x[at]), toPixel.y(run.y[at])];
      if (at >= run.x.length - 1 && run.status === "diverged") drawCross(context, px, py, run.color);
      else drawDot(context, px, py, run.color);
    });
    context.restore();
    drawCaption(context, t("player.cursor", { k, n: this.steps }), toPixel.area);
  }

  strokePath(context, toPixel, run, end, { color, width, dash = [] }) {
    if (end < 1) return;
    context.beginPath();
    for (let i = 0; i <= end; i++) context[i ? "lineTo" : "moveTo"](toPixel.x(run.x[i]), toPixel.y(run.y[i]));
    context.strokeStyle = color;
    context.lineWidth = width;
    context.lineJoin = "round";
    context.lineCap = "round";
    context.setLineDash(dash);
    context.stroke();
  }
}

/** The last index ≤ k of a run's path before its first non-finite point (−1 when none). */
function lastFinite(run, k) {
  const last = Math.min(k, run.x.length - 1);
  for (let i = 0; i <= last; i++) if (!Number.isFinite(run.x[i]) || !Number.isFinite(run.y[i])) return i - 1;
  return last;
}

function drawDot(context, x, y, color) {
  context.setLineDash([]);
  context.beginPath();
  context.arc(x, y, 7, 0, 2 * Math.PI);
  context.fillStyle = color;
  context.fill();
  context.lineWidth = 2.5;
  context.strokeStyle = "#ffffff";
  context.stroke();
}

function drawCross(context, x, y, color) {
  context.setLineDash([]);
  context.beginPath();
  for (const [dx, dy] of [[-6, -6], [6, -6]]) {
    context.moveTo(x + dx, y + dy);
    context.lineTo(x - dx, y - dy);
  }
  context.lineCap = "round";
  context.strokeStyle = "#ffffff";
  context.lineWidth = 6;
  context.stroke();
  context.strokeStyle = color;
  context.lineWidth = 3;
  context.stroke();
}

/** "step k / n" on a white label in the plot area's top right corner. */
function drawCaption(context, text, [left, top, width]) {
  context.font = "600 16px system-ui, sans-serif";
  const textWidth = context.measureText(text).width;
  const [x, y] = [left + width - textWidth - 20, top + 10];
  context.fillStyle = "rgba(255,255,255,0.88)";
  context.beginPath();
  context.roundRect(x, y, textWidth + 12, 26, 5);
  context.fill();
  context.fillStyle = "#111827";
  context.textBaseline = "middle";
  context.fillText(text, x + 6, y + 13);
}

/**
 * Record with the progress bar in `panel` (#record-progress, #record-label, #record-cancel) in place
 * of `button`; resolves the Blob, or null when the user cancelled.
 */
export async function recordWithProgress(recorder, panel, button) {
  const bar = panel.querySelector("#record-progress");
  const label = panel.querySelector("#record-label");
  const cancel = panel.querySelector("#record-cancel");
  const show = (fraction) => {
    bar.value = Math.round(fraction * 100);
    label.textContent = t("record.progress", { percent: Math.round(fraction * 100) });
  };
  const onCancel = () => recorder.cancel();
  cancel.addEventListener("click", onCancel);
  show(0);
  panel.hidden = false;
  button.hidden = true;
  try {
    return await recorder.record(show);
  } finally {
    cancel.removeEventListener("click", onCancel);
    panel.hidden = true;
    button.hidden = false;
  }
}
