// The network lab's state: a declarative property table for the URL hash, the lessons (presets),
// validation against the catalog and the spec of a `start` message. Pure: no DOM, no network.
//
// #data=circles(n:1000,noise:0.1,factor:0.8,seed:1)&val=0.5
//  &nets=tanh(hidden:5*5*5*5*5,batch:32)!i.uniform(low:0,high:1)!o.momentum(learning_rate:0.01,momentum:0.9)
//  &seed=0&spc=10&speed=20&lang=en      (two networks: "~" between them)

import { completeAlpha, completeInit } from "../netfields.js";
import { Type, completeRun, decodeCall, encodeCall, encodeRun, decodeRun, lessonFields } from "../state.js";

const BOOLEAN_KEYS = { bn: "batch_norm", res: "residual" };
const NUMBER_KEYS = { bnm: "bn_momentum", dropout: "dropout", l1: "l1", l2: "l2", mn: "max_norm", alpha: "alpha", batch: "batch" };

function encodeNet(net) {
  const params = { hidden: net.hidden, batch: net.batch };
  if (net.alpha !== undefined) params.alpha = net.alpha;
  if (net.batch_norm) Object.assign(params, { bn: 1, bnm: net.bn_momentum });
  for (const key of ["dropout", "l1", "l2"]) if (net[key]) params[key] = net[key];
  if (net.max_norm) params.mn = net.max_norm;
  if (net.residual) params.res = 1;
  const { name, ...init } = net.init;
  return `${encodeCall(net.activation, params)}!i.${encodeCall(name, init)}!o.${encodeRun(net)}`;
}

function decodeNet(text) {
  const [head, ...mods] = text.split("!");
  const { name, params } = decodeCall(head);
  const net = { activation: name, hidden: [].concat(params.hidden ?? []) };
  for (const [short, key] of Object.entries(NUMBER_KEYS)) if (short in params) net[key] = params[short];
  for (const [short, key] of Object.entries(BOOLEAN_KEYS)) net[key] = params[short] === 1;
  const rest = [];
  for (const mod of mods) {
    if (mod.startsWith("i.")) {
      const call = decodeCall(mod.slice(2));
      net.init = { name: call.name, ...call.params };
    } else if (mod.startsWith("o.")) rest.unshift(mod.slice(2));
    else rest.push(mod);
  }
  if (rest.length) Object.assign(net, decodeRun(rest.join("!")));
  return net;
}

const DATA = {
  write: ({ name, ...params }) => encodeCall(name, params),
  read: (text) => {
    const { name, params } = decodeCall(text);
    return { name, ...params };
  },
};

export const PROPS = [
  { name: "data", type: DATA },
  { name: "val", type: Type.NUMBER },
  { name: "nets", type: { write: (nets) => nets.map(encodeNet).join("~"), read: (s) => s.split("~").filter(Boolean).map(decodeNet) } },
  { name: "seed", type: Type.INT },
  { name: "spc", type: Type.INT },
  { name: "speed", type: Type.NUMBER },
  { name: "mc", type: Type.BOOL },
  { name: "lang", type: Type.STRING },
  { name: "lesson", type: Type.STRING },
  { name: "pick", type: Type.STRING },
];

export const HIDEABLE = ["controls", "lessons", "data", "intro", "header", "strips", "layers", "export"];
export const LIMITS = { layers: 20, minWidth: 2, maxWidth: 256 };
export const SPEEDS = [2, 5, 10, 20, 30];

// --- lessons ---------------------------------------------------------------------------------

const CIRCLES = { name: "circles", n: 1000, noise: 0.1, factor: 0.8, seed: 1 };
const SEED_002 = {
  hidden: [5, 5, 5, 5, 5],
  activation: "tanh",
  init: { name: "uniform", low: 0, high: 1 },
  optimizer: "momentum",
  hyperparameters: { learning_rate: 0.01, momentum: 0.9 },
  batch: 32,
};
const RELU_HE = { ...SEED_002, activation: "relu", init: { name: "he_normal" } };
const DEEP_SIGMOID = {
  hidden: [8, 8, 8, 8, 8, 8, 8, 8],
  activation: "sigmoid",
  init: { name: "xavier_normal" },
  optimizer: "momentum",
  hyperparameters: { learning_rate: 0.05, momentum: 0.9 },
  batch: 32,
};
const XOR_NET = {
  hidden: [64, 64, 64],
  activation: "relu",
  init: { name: "he_normal" },
  optimizer: "adam",
  hyperparameters: { learning_rate: 0.005 },
  batch: 16,
};

/** Lessons: a whole view each; `compare` ones train two networks side by side. */
export const LESSONS = [
  { id: "vanishing", data: CIRCLES, nets: [SEED_002] },
  { id: "relu_he", data: CIRCLES, nets: [RELU_HE] },
  { id: "vanishing_pair", data: CIRCLES, nets: [SEED_002, RELU_HE] },
  { id: "sigmoid_bn", data: CIRCLES, nets: [DEEP_SIGMOID, { ...DEEP_SIGMOID, batch_norm: true }] },
  { id: "dropout_xor", data: { name: "xor", n: 300, noise: 0.35, seed: 0 }, nets: [XOR_NET, { ...XOR_NET, dropout: 0.5 }] },
  { id: "big_lr", data: { name: "moons", n: 400, noise: 0.1, seed: 0 }, nets: [{ ...RELU_HE, hidden: [8, 8], optimizer: "sgd", hyperparameters: { learning_rate: 0.1 } }, { ...RELU_HE, hidden: [8, 8], optimizer: "sgd", hyperparameters: { learning_rate: 8 } }] },
];

/** The right-hand network a new comparison starts with: seed 002's fix, ReLU + He. */
export function comparePartner(net) {
  return { ...structuredClone(net), activation: "relu", alpha: undefined, init: { name: "he_normal" } };
}

// --- validation ------------------------------------------------------------------------------

const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
const num = (v, lo, hi, fallback) => (Number.isFinite(v) ? clamp(v, lo, hi) : fallback);

export function completeData(data, catalog) {
  const spec = catalog.datasets.find((d) => d.name === data?.name) ?? catalog.datasets.find((d) => d.name === "circles");
  const out = { name: spec.name };
  for (const p of spec.params) {
    const v = num(data?.[p.name], p.min, p.max, p.default);
    out[p.name] = ["n", "seed", "classes"].includes(p.name) ? Math.round(v) : v;
  }
  return out;
}

/** Training samples for a dataset and validation split (as the server counts them). */
export function trainingSamples(data, val) {
  return data.n - Math.min(Math.round(data.n * val), data.n - 1);
}

export function completeNet(net, catalog, nTrain) {
  const activation = catalog.activations.some((a) => a.name === net.activation) ? net.activation : "tanh";
  const optimizers = trainableOptimizers(catalog);
  const run = completeRun({ optimizer: optimizers.some((o) => o.id === net.optimizer) ? net.optimizer : "momentum", hyperparameters: net.hyperparameters, schedule: net.schedule, clip: net.clip }, catalog);
  const fullBatch = optimizers.find((o) => o.id === run.optimizer).full_batch_only;
  const hidden = (net.hidden ?? []).filter(Number.isFinite).map((w) => clamp(Math.round(w), LIMITS.minWidth, LIMITS.maxWidth)).slice(0, LIMITS.layers);
  return {
    hidden: hidden.length ? hidden : [5, 5, 5, 5, 5],
    activation,
    alpha: completeAlpha(activation, net.alpha, catalog),
    init: completeInit(net.init ?? { name: "xavier_normal" }, catalog),
    batch_norm: Boolean(net.batch_norm),
    bn_momentum: num(net.bn_momentum, 0, 0.999, 0.9),
    dropout: num(net.dropout, 0, 0.9, 0),
    l1: num(net.l1, 0, 1, 0),
    l2: num(net.l2, 0, 1, 0),
    max_norm: Number.isFinite(net.max_norm) && net.max_norm > 0 ? clamp(net.max_norm, 0.01, 100) : null,
    residual: Boolean(net.residual),
    ...run,
    batch: fullBatch ? nTrain : clamp(Math.round(num(net.batch, 1, nTrain, 32)), 1, nTrain),
  };
}

/** Optimizers a network can train with (Newton's method needs a Hessian: not offered). */
export function trainableOptimizers(catalog) {
  return catalog.optimizers.filter((o) => o.id !== "newton");
}

/** A full, valid state from a partial one (the hash or a lesson). */
export function normalizeState(partial, catalog) {
  const data = completeData(partial.data ?? CIRCLES, catalog);
  const val = num(partial.val, 0, 0.9, 0.5);
  const nTrain = trainingSamples(data, val);
  const nets = (partial.nets?.length ? partial.nets : [SEED_002]).slice(0, 2).map((n) => completeNet(n, catalog, nTrain));
  return {
    data,
    val,
    nets,
    seed: Math.round(num(partial.seed, 0, 2 ** 31 - 1, 0)),
    spc: Math.round(num(partial.spc, 1, 200, 10)),
    speed: num(partial.speed, 0.5, 120, 20),
    mc: Boolean(partial.mc),
    lang: partial.lang === "zh" ? "zh" : "en",
    ...lessonFields(partial),
    hide: partial.hide ?? [],
  };
}

/** The lesson a state shows exactly (data and networks), or null. */
export function matchingLesson(state, catalog) {
  const key = (s) => PROPS.slice(0, 3).map((p) => p.type.write(s[p.name])).join("&");
  const mine = key(state);
  return LESSONS.find((l) => key(normalizeState({ ...l, val: 0.5 }, catalog)) === mine) ?? null;
}

// --- the wire --------------------------------------------------------------------------------

export function modelSpec(net) {
  return {
    hidden: [...net.hidden],
    activation: net.activation,
    activation_params: net.alpha === undefined ? {} : { alpha: net.alpha },
    init: { ...net.init },
    batch_norm: net.batch_norm,
    bn_momentum: net.bn_momentum,
    dropout: net.dropout,
    l1: net.l1,
    l2: net.l2,
    max_norm: net.max_norm,
    residual: net.residual,
  };
}

export function optimizerSpec(net) {
  return { name: net.optimizer, hyperparameters: { ...net.hyperparameters }, schedule: net.schedule ? { ...net.schedule } : null, clip: net.clip ? { ...net.clip } : null };
}

/** The spec of a `start` message (docs/protocol.md, WebSocket /ws/v1/network). */
export function toSpec(state) {
  return {
    dataset: { ...state.data, validation_split: state.val },
    networks: state.nets.map((net) => ({ model: modelSpec(net), optimizer: optimizerSpec(net), batch_size: net.batch })),
    seed: state.seed,
    steps_per_chunk: state.spc,
  };
}
