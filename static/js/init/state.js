// The init experiment's state: a declarative property table for the URL hash, the seed-001 presets,
// and the request body of POST /api/v1/init-experiment. Pure: no DOM, no network.
//
// #activation=tanh&init=normal(std:0.01)&layers=10&width=500&samples=1000&seed=0&lang=en

import { decodeCall, encodeCall, lessonFields, Type } from "../state.js";
import { completeAlpha, completeInit } from "../netfields.js";

export const CALL = {
  write: ({ name, ...params }) => encodeCall(name, params),
  read: (text) => {
    const { name, params } = decodeCall(text);
    return { name, ...params };
  },
};

export const PROPS = [
  { name: "activation", type: Type.STRING },
  { name: "alpha", type: Type.NUMBER },
  { name: "init", type: CALL },
  { name: "layers", type: Type.INT },
  { name: "width", type: Type.INT },
  { name: "samples", type: Type.INT },
  { name: "seed", type: Type.INT },
  { name: "lang", type: Type.STRING },
  { name: "lesson", type: Type.STRING },
  { name: "pick", type: Type.STRING },
];

export const HIDEABLE = ["controls", "presets", "intro", "header", "about", "export"];

export const LIMITS = {
  layers: { name: "layers", min: 1, max: 20, default: 10, integer: true, scale: "linear" },
  width: { name: "width", min: 2, max: 1000, default: 500, integer: true, scale: "log" },
  samples: { name: "samples", min: 1, max: 5000, default: 1000, integer: true, scale: "log" },
};

/** Seed 001's cases, in the order the article shows them; `lesson` explains what to look at. */
export const PRESETS = [
  { id: "small", activation: "tanh", init: { name: "normal", std: 0.01 } },
  { id: "large", activation: "tanh", init: { name: "normal", std: 1 } },
  { id: "xavier_tanh", activation: "tanh", init: { name: "xavier_normal" } },
  { id: "xavier_relu", activation: "relu", init: { name: "xavier_normal" } },
  { id: "he_relu", activation: "relu", init: { name: "he_normal" } },
];

const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
const pick = (v, limit) => (Number.isFinite(v) ? clamp(Math.round(v), limit.min, limit.max) : limit.default);

/** A full, valid state from a partial one (the hash), against the catalog. */
export function normalizeState(partial, catalog) {
  const activation = catalog.activations.some((a) => a.name === partial.activation) ? partial.activation : "tanh";
  return {
    activation,
    alpha: completeAlpha(activation, partial.alpha, catalog),
    init: completeInit(partial.init ?? PRESETS[0].init, catalog),
    layers: pick(partial.layers, LIMITS.layers),
    width: pick(partial.width, LIMITS.width),
    samples: pick(partial.samples, LIMITS.samples),
    seed: Number.isFinite(partial.seed) ? clamp(Math.round(partial.seed), 0, 2 ** 31 - 1) : 0,
    lang: partial.lang === "zh" ? "zh" : "en",
    ...lessonFields(partial),
    hide: partial.hide ?? [],
  };
}

/** The preset this state shows, or null (the activation, init name and its parameters all match). */
export function matchingPreset(state, catalog) {
  return PRESETS.find((p) => {
    if (p.activation !== state.activation) return false;
    const init = completeInit(p.init, catalog);
    return Object.keys({ ...init, ...state.init }).every((k) => init[k] === state.init[k]);
  }) ?? null;
}

/** The body of POST /api/v1/init-experiment. */
export function toRequest(state, bins = 30) {
  const body = {
    layers: state.layers,
    width: state.width,
    activation: state.activation,
    init: { ...state.init },
    samples: state.samples,
    bins,
    seed: state.seed,
  };
  if (state.alpha !== undefined) body.activation_params = { alpha: state.alpha };
  return body;
}
