// What one network has reported so far, accumulated from its `chunk` frames: loss and accuracy curves,
// per-layer histogram strips over time (at most MAX_COLUMNS columns: older ones are merged pairwise),
// and the newest per-layer statistics. Pure: no DOM.

import { row } from "../protocol.js";

export const MAX_COLUMNS = 300;
const MAX_POINTS = 4000;

/** Histogram rows (layers × bins) → per-layer fractions, one Float32Array per layer. */
function fractions(array) {
  const [layers] = array.shape;
  const out = [];
  for (let i = 0; i < layers; i++) {
    const counts = row(array, i);
    let total = 0;
    for (const c of counts) total += c;
    out.push(Float32Array.from(counts, (c) => (total > 0 ? c / total : 0)));
  }
  return out;
}

const average = (a, b) => a.map((layer, i) => layer.map((v, j) => (v + b[i][j]) / 2));

/** Columns of per-layer histograms over time; `stride` chunks per column once it has been thinned. */
export class StripHistory {
  constructor(max = MAX_COLUMNS) {
    this.max = max;
    this.columns = []; // [column][layer] → Float32Array(bins)
    this.steps = []; // step at the end of each column
    this.stride = 1;
    this.pending = null;
    this.pendingCount = 0;
  }

  push(step, array) {
    const column = fractions(array);
    if (this.pending) this.pending = this.pending.map((layer, i) => layer.map((v, j) => v + column[i][j]));
    else this.pending = column;
    this.pendingCount += 1;
    if (this.pendingCount < this.stride) return;
    const n = this.pendingCount;
    this.columns.push(this.pending.map((layer) => layer.map((v) => v / n)));
    this.steps.push(step);
    this.pending = null;
    this.pendingCount = 0;
    if (this.columns.length > this.max) this.thin();
  }

  /** Merge neighbouring columns: half as many, each twice as long in steps. */
  thin() {
    const columns = [];
    const steps = [];
    for (let i = 0; i + 1 < this.columns.length; i += 2) {
      columns.push(average(this.columns[i], this.columns[i + 1]));
      steps.push(this.steps[i + 1]);
    }
    if (this.columns.length % 2) {
      columns.push(this.columns.at(-1));
      steps.push(this.steps.at(-1));
    }
    this.columns = columns;
    this.steps = steps;
    this.stride *= 2;
  }
}

/** Every series of one network, from `setup` (its entry) and its `chunk` frames. */
export class NetworkHistory {
  constructor(setup = {}) {
    this.setup = setup; // {hidden, dense_layers, activation, edges}
    this.curves = { step: [], epoch: [], train_loss: [], val_loss: [], train_accuracy: [], val_accuracy: [] };
    this.act = new StripHistory();
    this.grad = new StripHistory();
    this.last = null; // the newest chunk: {header, arrays}
    this.first = null; // the step-0 chunk
    this.learningRate = null; // ε of the chunk's last step (the server's echo of an update)
  }

  get step() {
    return this.last?.header.step ?? 0;
  }

  get diverged() {
    return this.last?.header.status === "diverged";
  }

  /** Add one decoded chunk frame ({header, arrays}). */
  push(frame) {
    const { header, arrays } = frame;
    const scalar = (name) => arrays[name].data[0];
    if (!this.first) this.first = frame;
    const c = this.curves;
    if (c.step.length && c.step.at(-1) === header.step) return; // a paused network's repeated chunk
    c.step.push(header.step);
    c.epoch.push(header.epoch);
    for (const name of ["train_loss", "val_loss", "train_accuracy", "val_accuracy"]) c[name].push(scalar(name));
    if (c.step.length > MAX_POINTS) for (const key of Object.keys(c)) c[key] = c[key].filter((_, i) => i % 2 === 1);
    this.act.push(header.step, arrays.act_hist);
    this.grad.push(header.step, arrays.grad_hist);
    const rates = arrays.learning_rate.data;
    if (rates.length) this.learningRate = rates[rates.length - 1];
    this.last = frame;
  }

  /** Per-layer statistics of the newest chunk as plain arrays. */
  layers() {
    if (!this.last) return null;
    const a = this.last.arrays;
    const list = (name) => Array.from(a[name].data);
    return {
      actMean: list("act_mean"),
      actStd: list("act_std"),
      dead: list("dead_fraction"),
      gradAbsMean: list("grad_abs_mean"),
      firstGradAbsMean: this.first && this.first !== this.last ? Array.from(this.first.arrays.grad_abs_mean.data) : null,
      updateRatio: list("update_ratio"),
    };
  }
}
