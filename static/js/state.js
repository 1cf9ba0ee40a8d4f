// The view's whole state as a declarative table of properties that round-trips through the URL hash
// (like TensorFlow Playground's State.PROPS). Pure: no DOM, no network.
//
// #surface=quadratic&params=kappa:30,theta:0.5&start=-1.6,1.2&steps=500&sigma=0&seed=0
//  &runs=sgd(learning_rate:0.01)~adam(learning_rate:0.05)!s.power(k:100,c:1)!c.norm(1)
//  &speed=100&cursor=0&lang=en&noise_hide=true
// A typed surface: #surface=custom&expr=x%5E2%20+%203*y%5E2&domain=-2,2,-1,3&start=…

import { roundSig } from "./numbers.js";

const num = (text) => {
  const value = Number(text);
  if (text === "" || !Number.isFinite(value)) throw new Error(`not a number: ${text}`);
  return value;
};
const fmt = (value) => String(roundSig(value, 6));

/** name(k:v,k:v) ↔ {name, params}; list values are joined with "*". */
export function encodeCall(name, params) {
  const inner = Object.entries(params || {})
    .map(([k, v]) => `${k}:${Array.isArray(v) ? v.map(fmt).join("*") : fmt(v)}`)
    .join(",");
  return `${name}(${inner})`;
}

export function decodeCall(text) {
  const match = /^([\w-]+)\((.*)\)$/.exec(text);
  if (!match) throw new Error(`cannot read ${text}`);
  const params = {};
  for (const pair of match[2] ? match[2].split(",") : []) {
    const [k, v] = pair.split(":");
    if (!k || v === undefined) throw new Error(`cannot read ${pair}`);
    params[k] = v.includes("*") || k === "boundaries" || k === "values" ? v.split("*").map(num) : num(v);
  }
  return { name: match[1], params };
}

export function encodeRun(run) {
  let text = encodeCall(run.optimizer, run.hyperparameters);
  if (run.schedule && run.schedule.name !== "constant") {
    const { name, ...params } = run.schedule;
    text += `!s.${encodeCall(name, params)}`;
  }
  if (run.clip) text += `!c.${run.clip.mode}(${fmt(run.clip.threshold)})`;
  return text;
}

export function decodeRun(text) {
  const [head, ...mods] = text.split("!");
  const call = decodeCall(head);
  const run = { optimizer: call.name, hyperparameters: call.params, schedule: null, clip: null };
  for (const mod of mods) {
    if (mod.startsWith("s.")) {
      const s = decodeCall(mod.slice(2));
      run.schedule = { name: s.name, ...s.params };
    } else if (mod.startsWith("c.")) {
      const match = /^c\.(\w+)\(([^)]*)\)$/.exec(mod);
      if (!match) throw new Error(`cannot read ${mod}`);
      run.clip = { mode: match[1], threshold: num(match[2]) };
    }
  }
  return run;
}

/** Codecs: how each type is written to and read from the hash. */
export const Type = {
  STRING: { write: (v) => v, read: (s) => s },
  NUMBER: { write: fmt, read: num },
  INT: { write: (v) => String(Math.round(v)), read: (s) => Math.round(num(s)) },
  BOOL: { write: (v) => String(Boolean(v)), read: (s) => s === "true" || s === "1" },
  POINT: {
    write: (p) => p.map(fmt).join(","),
    read: (s) => {
      const p = s.split(",").map(num);
      if (p.length !== 2) throw new Error("a point needs two numbers");
      return p;
    },
  },
  DICT: {
    write: (d) => Object.entries(d).map(([k, v]) => `${k}:${fmt(v)}`).join(","),
    read: (s) => Object.fromEntries(s.split(",").filter(Boolean).map((pair) => {
      const [k, v] = pair.split(":");
      return [k, num(v)];
    })),
  },
  RUNS: { write: (runs) => runs.map(encodeRun).join("~"), read: (s) => s.split("~").filter(Boolean).map(decodeRun) },
  /** [[x_low, x_high], [y_low, y_high]] ↔ "x_low,x_high,y_low,y_high". */
  DOMAIN: {
    write: (d) => d.flat().map(fmt).join(","),
    read: (s) => {
      const v = s.split(",").map(num);
      if (v.length !== 4) throw new Error("a domain needs four numbers");
      return [v.slice(0, 2), v.slice(2)];
    },
  },
};

/** The serialized properties, in hash order. */
export const PROPS = [
  { name: "surface", type: Type.STRING },
  { name: "params", type: Type.DICT },
  { name: "expr", type: Type.STRING }, // a custom surface's expression (null otherwise)
  { name: "domain", type: Type.DOMAIN }, // and its domain
  { name: "start", type: Type.POINT },
  { name: "steps", type: Type.INT },
  { name: "sigma", type: Type.NUMBER },
  { name: "seed", type: Type.INT },
  { name: "runs", type: Type.RUNS },
  { name: "speed", type: Type.NUMBER },
  { name: "cursor", type: Type.INT },
  { name: "lang", type: Type.STRING },
  { name: "lesson", type: Type.STRING },
  { name: "pick", type: Type.STRING },
];

/** Sections that `<name>_hide=true` can hide (classrooms, embeds). */
export const HIDEABLE = ["surface", "noise", "runs", "player", "loss", "grad", "about", "intro", "header", "export", "sweep", "curvature", "stepsize", "theory"];

/**
 * Hash text → a partial state; unreadable properties are skipped (and reported in `problems`).
 * `props` and `hideable` default to the surface lab's tables; other pages pass their own.
 */
export function parseHash(hash, props = PROPS, hideable = HIDEABLE) {
  const state = { hide: [] };
  const problems = [];
  const text = hash.replace(/^#/, "");
  if (!text) return { state, problems };
  const entries = new Map();
  for (const part of text.split("&")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    entries.set(decodeURIComponent(part.slice(0, eq)), decodeURIComponent(part.slice(eq + 1)));
  }
  for (const prop of props) {
    if (!entries.has(prop.name)) continue;
    try {
      state[prop.name] = prop.type.read(entries.get(prop.name));
    } catch (err) {
      problems.push(`${prop.name}: ${err.message}`);
    }
  }
  for (const name of hideable) if (Type.BOOL.read(entries.get(`${name}_hide`) ?? "")) state.hide.push(name);
  return { state, problems };
}

/** A state → hash text (without "#"). Runs keep "~", "(", ":", "!" readable. */
export function serializeState(state, props = PROPS) {
  const parts = [];
  for (const prop of props) {
    const value = state[prop.name];
    if (value === undefined || value === null) continue;
    if (prop.type === Type.DICT && Object.keys(value).length === 0) continue;
    parts.push(`${prop.name}=${encodeURI(prop.type.write(value)).replace(/[#&=]/g, encodeURIComponent)}`);
  }
  for (const name of state.hide || []) parts.push(`${name}_hide=true`);
  return parts.join("&");
}

// --- defaults and validation against the catalog -----------------------------------------------

export const MAX_RUNS = 16;
export const DEFAULT_RUNS = [
  { optimizer: "sgd", hyperparameters: { learning_rate: 0.001 } },
  { optimizer: "momentum", hyperparameters: { learning_rate: 0.001, momentum: 0.9 } },
  { optimizer: "adam", hyperparameters: { learning_rate: 0.05 } },
];

const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

function defaults(list) {
  return Object.fromEntries(list.map((p) => [p.name, p.default]));
}

/** A run with every hyperparameter set (catalog defaults fill gaps), values clamped to their ranges. */
export function completeRun(run, catalog) {
  const spec = catalog.optimizers.find((o) => o.id === run.optimizer);
  if (!spec) return null;
  const hyperparameters = {};
  for (const h of spec.hyperparameters) {
    const v = run.hyperparameters?.[h.name];
    hyperparameters[h.name] = Number.isFinite(v) ? clamp(v, h.min, h.max) : h.default;
  }
  let schedule = null;
  const sched = run.schedule && catalog.schedules.find((s) => s.name === run.schedule.name);
  if (spec.supports_schedule && sched && sched.name !== "constant") {
    schedule = { name: sched.name };
    for (const p of sched.params) {
      const v = run.schedule[p.name];
      schedule[p.name] = Number.isFinite(v) ? clamp(v, p.min, p.max) : p.default;
    }
    if (sched.name === "piecewise") {
      schedule.boundaries = run.schedule.boundaries ?? [];
      schedule.values = run.schedule.values ?? [];
    }
  }
  let clip = null;
  if (run.clip && catalog.clip_modes.includes(run.clip.mode) && Number.isFinite(run.clip.threshold)) {
    clip = { mode: run.clip.mode, threshold: clamp(run.clip.threshold, 1e-6, 1e6) };
  }
  return { optimizer: spec.id, hyperparameters, schedule, clip };
}

/**
 * `run` switched to optimizer `id`. A hyperparameter keeps its value when the new optimizer has one of
 * the same name with the same catalog default: the same role at the same scale (SGD's, momentum's,
 * Nesterov's and Adam's ε; momentum α; Adam's and Nadam's ρ₁, ρ₂, δ), so "same ε, another optimizer"
 * is one click. Others start from the new defaults (Newton's and AdaDelta's ε of 1 is a multiplier,
 * AdaGrad's 0.1 a step per coordinate). Schedule and clipping stay.
 */
export function switchOptimizer(run, id, catalog) {
  const before = catalog.optimizers.find((o) => o.id === run.optimizer);
  const after = catalog.optimizers.find((o) => o.id === id);
  const kept = {};
  for (const h of after?.hyperparameters ?? []) {
    const old = before?.hyperparameters.find((b) => b.name === h.name);
    if (old && old.default === h.default && Number.isFinite(run.hyperparameters?.[h.name])) kept[h.name] = run.hyperparameters[h.name];
  }
  return completeRun({ optimizer: id, hyperparameters: kept, schedule: run.schedule, clip: run.clip }, catalog);
}

/** Surface params with every value set and in range. */
export function completeSurfaceParams(surface, params = {}) {
  const out = {};
  for (const p of surface.params) {
    const v = params[p.name];
    out[p.name] = Number.isFinite(v) ? clamp(v, p.min, p.max) : p.default;
  }
  return out;
}

// --- custom surfaces: a typed expression over a domain (docs/protocol.md, "Custom surfaces") -------

export const CUSTOM = "custom";

/** Whether `domain` is [[x_low, x_high], [y_low, y_high]] with low < high, every bound within ±`max`. */
export function validDomain(domain, max = 1e4) {
  return (
    Array.isArray(domain) && domain.length === 2 &&
    domain.every((r) => Array.isArray(r) && r.length === 2 && r.every((v) => Number.isFinite(v) && Math.abs(v) <= max) && r[0] < r[1])
  );
}

/** The server's default start on a custom domain: a fifth of the way in from its upper-left corner. */
export function customStart([xr, yr]) {
  return [roundSig(xr[0] + 0.2 * (xr[1] - xr[0]), 6), roundSig(yr[1] - 0.2 * (yr[1] - yr[0]), 6)];
}

/** A custom surface as a catalog-like entry (what the charts and panels read: name, domain, minima…). */
export function customSurface(expression, domain) {
  return {
    name: CUSTOM,
    custom: true,
    title: "Custom f(x, y)",
    expression,
    domain: domain.map((r) => [...r]),
    minima: [],
    default_start: customStart(domain),
    params: [],
  };
}

/** The surface entry a state shows: the catalog's, or its custom expression's. */
export function surfaceOf(state, catalog) {
  if (state.surface === CUSTOM) return customSurface(state.expr, state.domain);
  return catalog.surfaces.find((s) => s.name === state.surface);
}

/** The surface as the server takes it: {name, params}, or {name: "custom", expression, domain}. */
export function surfaceSpec(state) {
  if (state.surface === CUSTOM) return { name: CUSTOM, expression: state.expr, domain: state.domain.map((r) => [...r]) };
  return { name: state.surface, params: { ...state.params } };
}

/** The expression and domain of a custom state from a partial one, else the catalog's defaults. */
function customFields(partial, catalog) {
  const grammar = catalog.custom_surface;
  const expr = typeof partial.expr === "string" && partial.expr.trim() ? partial.expr.slice(0, grammar.max_length) : grammar.default_expression;
  const domain = validDomain(partial.domain, grammar.max_domain) ? partial.domain : grammar.default_domain;
  return { expr, domain: domain.map((r) => [...r]) };
}

/** A full, valid state from a partial one (e.g. parsed from the hash). */
export function normalizeState(partial, catalog) {
  const custom = partial.surface === CUSTOM && catalog.custom_surface ? customFields(partial, catalog) : null;
  const surface = custom ? customSurface(custom.expr, custom.domain) : catalog.surfaces.find((s) => s.name === partial.surface) ??
    catalog.surfaces.find((s) => s.name === "rosenbrock") ?? catalog.surfaces[0];
  const runs = (partial.runs?.length ? partial.runs : DEFAULT_RUNS)
    .map((r) => completeRun(r, catalog))
    .filter(Boolean)
    .slice(0, MAX_RUNS);
  const steps = clamp(Number.isFinite(partial.steps) ? partial.steps : 500, 1, 10000);
  return {
    surface: surface.name,
    params: completeSurfaceParams(surface, partial.params),
    expr: custom?.expr ?? null,
    domain: custom?.domain ?? null,
    start: partial.start?.every(Number.isFinite) ? partial.start.map((v) => clamp(v, -1e4, 1e4)) : [...surface.default_start],
    steps,
    sigma: clamp(Number.isFinite(partial.sigma) ? partial.sigma : 0, 0, 1e3),
    seed: clamp(Number.isFinite(partial.seed) ? partial.seed : 0, 0, 2 ** 31 - 1),
    runs: runs.length ? runs : DEFAULT_RUNS.map((r) => completeRun(r, catalog)),
    speed: clamp(Number.isFinite(partial.speed) ? partial.speed : 100, 0.5, 5000),
    cursor: clamp(Number.isFinite(partial.cursor) ? partial.cursor : 0, 0, steps),
    lang: partial.lang === "zh" ? "zh" : "en",
    ...lessonFields(partial),
    hide: partial.hide ?? [],
  };
}

/** The lesson a view belongs to and the student's choice, when a lesson link opened it. */
export function lessonFields(partial) {
  return { lesson: partial.lesson || null, pick: partial.lesson && /^[a-d]$/.test(partial.pick ?? "") ? partial.pick : null };
}

/** The trajectories spec the server computes from this state (docs/protocol.md). */
export function toSpec(state) {
  return {
    surface: surfaceSpec(state),
    start: [...state.start],
    steps: state.steps,
    runs: state.runs.map(runSpec),
    noise: { sigma: state.sigma, seed: state.seed },
  };
}

export function runSpec(run) {
  return {
    optimizer: run.optimizer,
    hyperparameters: { ...run.hyperparameters },
    schedule: run.schedule ? { ...run.schedule } : null,
    clip: run.clip ? { ...run.clip } : null,
  };
}

export { defaults as catalogDefaults };
