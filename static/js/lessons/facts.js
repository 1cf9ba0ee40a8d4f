// The numbers a lesson's answer quotes, read from the live result of its lab (never written into the
// text). One function per fact kind: (result, fact) → a number, or null for "never" / "did not".
// Pure: no DOM. app/services/lessons.py lists the same kinds (a test holds the two equal).

const last = (array) => array[array.length - 1];
const layerIndex = (layer, count) => (layer < 0 ? count + layer : layer - 1); // 1-based, −1 = last

/** The surface lab's result: {steps, runs: [{x, y, loss, gradNorm, status, diverged_at}]}. */
const SURFACE = {
  final_loss: ({ runs }, f) => last(runs[f.run].loss),
  min_loss: ({ runs }, f) => Math.min(...runs[f.run].loss),
  /** The step from which the loss stays at or below `below` to the end (a first dip that bounces back up
   * does not count); null when the run does not end there or diverged. */
  steps_to_loss: ({ runs }, f) => {
    const { loss, status } = runs[f.run];
    if (status === "diverged") return null;
    let k = loss.length;
    while (k > 0 && loss[k - 1] <= f.below) k -= 1;
    return k < loss.length ? k : null;
  },
  diverged_at: ({ runs }, f) => (runs[f.run].status === "diverged" ? runs[f.run].diverged_at : null),
  final_x: ({ runs }, f) => last(runs[f.run].x),
  final_y: ({ runs }, f) => last(runs[f.run].y),
  /** The longest single step ‖θ_{t+1} − θ_t‖ of the run. */
  max_jump: ({ runs }, f) => {
    const { x, y } = runs[f.run];
    let most = 0;
    for (let t = 1; t < x.length; t++) most = Math.max(most, Math.hypot(x[t] - x[t - 1], y[t] - y[t - 1]));
    return most;
  },
  /** The length of update `step`, ‖θ_step − θ_{step−1}‖ (step 1: the first update). */
  jump_at: ({ runs }, f) => {
    const { x, y } = runs[f.run];
    return f.step >= 1 && f.step < x.length ? Math.hypot(x[f.step] - x[f.step - 1], y[f.step] - y[f.step - 1]) : null;
  },
  /** The direction of the first step θ₁ − θ₀ in degrees (0° = +x, counter-clockwise). */
  first_step_heading: ({ runs }, f) => {
    const { x, y } = runs[f.run];
    return x.length < 2 ? null : (Math.atan2(y[1] - y[0], x[1] - x[0]) * 180) / Math.PI;
  },
  /** The mean loss over the run's last `last` points (noise leaves a floor a decaying rate lowers). */
  tail_mean_loss: ({ runs }, f) => {
    const tail = Array.from(runs[f.run].loss.slice(-f.last));
    return tail.reduce((a, b) => a + b, 0) / tail.length;
  },
  loss_at: ({ runs }, f) => runs[f.run].loss[f.step] ?? null,
};

/** The network lab's result: {histories: [NetworkHistory]} at the step the lesson stopped training. */
const NETWORK = {
  step: ({ histories }, f) => histories[f.run].step,
  train_loss: ({ histories }, f) => last(histories[f.run].curves.train_loss),
  val_loss: ({ histories }, f) => last(histories[f.run].curves.val_loss),
  train_accuracy: ({ histories }, f) => last(histories[f.run].curves.train_accuracy),
  val_accuracy: ({ histories }, f) => last(histories[f.run].curves.val_accuracy),
  overfit_gap: ({ histories }, f) => last(histories[f.run].curves.val_loss) - last(histories[f.run].curves.train_loss),
  /** Mean |gradient| of the last hidden layer over that of the first, at the first chunk (seed 002). */
  grad_ratio: ({ histories }, f) => {
    const grads = Array.from(histories[f.run].first.arrays.grad_abs_mean.data);
    return grads[0] > 0 ? last(grads) / grads[0] : null;
  },
  /** The largest share of dead units (never active on the data) over the layers, now. */
  dead_max: ({ histories }, f) => Math.max(...histories[f.run].layers().dead),
  /** The first reported step whose validation accuracy is at least `above`; null when never. */
  accuracy_step: ({ histories }, f) => {
    const { step, val_accuracy: acc } = histories[f.run].curves;
    const k = acc.findIndex((v) => v >= f.above);
    return k < 0 ? null : step[k];
  },
  /** Mean |change| of the training loss between consecutive reports over the second half of training. */
  loss_wiggle: ({ histories }, f) => {
    const loss = histories[f.run].curves.train_loss;
    const half = loss.slice(Math.floor(loss.length / 2));
    let sum = 0;
    for (let i = 1; i < half.length; i++) sum += Math.abs(half[i] - half[i - 1]);
    return half.length > 1 ? sum / (half.length - 1) : null;
  },
};

/** The init experiment's result: {layers: [{index, mean, std, histogram: {edges, counts}}]} (POST /api/v1/init-experiment). */
const INIT = {
  std_at: ({ layers }, f) => layers[layerIndex(f.layer, layers.length)].std,
  mean_at: ({ layers }, f) => layers[layerIndex(f.layer, layers.length)].mean,
  /** The share of a layer's outputs in histogram bins lying wholly beyond ±`above` (saturated tanh). */
  saturated_share: ({ layers }, f) => {
    const { edges, counts } = layers[layerIndex(f.layer, layers.length)].histogram;
    let total = 0;
    let beyond = 0;
    counts.forEach((c, i) => {
      total += c;
      if (edges[i] >= f.above || edges[i + 1] <= -f.above) beyond += c;
    });
    return total > 0 ? beyond / total : null;
  },
};

export const FACT_KINDS = { surface: SURFACE, network: NETWORK, init: INIT };

/** Every fact of a lesson read from `result`: {name: number | null}. */
export function readFacts(lesson, result) {
  const kinds = FACT_KINDS[lesson.lab];
  return Object.fromEntries(Object.entries(lesson.facts).map(([name, fact]) => {
    const value = kinds[fact.kind](result, fact);
    return [name, Number.isFinite(value) ? value : null];
  }));
}

/**
 * An answer template ("momentum reached {m} at step …") split into text and fact parts:
 * [{text}, {fact: "m"}, {text}, …], so the page can mark each quoted number.
 */
export function splitTemplate(template) {
  const parts = [];
  const pattern = /\{(\w+)\}/g;
  let at = 0;
  for (const match of template.matchAll(pattern)) {
    if (match.index > at) parts.push({ text: template.slice(at, match.index) });
    parts.push({ fact: match[1] });
    at = match.index + match[0].length;
  }
  if (at < template.length) parts.push({ text: template.slice(at) });
  return parts;
}

const STEP_KINDS = new Set(["steps_to_loss", "diverged_at", "step", "accuracy_step"]);
const SHARE_KINDS = new Set(["train_accuracy", "val_accuracy", "dead_max", "saturated_share"]);

/**
 * A fact as the answer prints it: steps as integers, accuracies and shares as percentages, headings in
 * degrees, everything else to three significant digits; `missing(kind)` words a null ("never").
 */
export function formatFact(kind, value, missing, formatNumber) {
  if (value === null) return missing(kind);
  if (STEP_KINDS.has(kind)) return String(Math.round(value));
  if (SHARE_KINDS.has(kind)) return `${formatNumber(100 * value, 3)} %`;
  if (kind === "first_step_heading") return `${formatNumber(value, 3)}°`;
  return formatNumber(value, 3);
}
