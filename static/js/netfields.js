// Controls shared by the network lab and the init experiment, built from the catalog: the activation
// (with its α where it has one) and the initialization (with its parameters).

import { el, setChildren } from "./dom.js";
import { byCatalog, byKey, selectField, slider } from "./widgets.js";

/** Slider scales for init parameters: σ spans decades (0.01 and 1 are the seed-001 cases). */
const INIT_SCALES = { std: { scale: "log0", logMin: 1e-3 } };
/** Our own labels for the catalog's init parameters; an unknown one shows the catalog's description. */
const INIT_PARAM_LABELS = new Set(["std", "low", "high", "value"]);

/** An init {name, ...params} with every catalog parameter set and in range. */
export function completeInit(init, catalog) {
  const spec = catalog.inits.find((i) => i.name === init?.name) ?? catalog.inits.find((i) => i.name === "xavier_normal");
  const out = { name: spec.name };
  for (const p of spec.params) {
    const v = init?.[p.name];
    out[p.name] = Number.isFinite(v) ? Math.min(p.max, Math.max(p.min, v)) : p.default;
  }
  if (spec.name === "uniform" && !(out.low < out.high)) Object.assign(out, { low: -0.05, high: 0.05 });
  return out;
}

/** The activation's α when it has one (Leaky ReLU, ELU), else undefined. */
export function completeAlpha(activation, alpha, catalog) {
  const p = catalog.activations.find((a) => a.name === activation)?.params.find((q) => q.name === "alpha");
  if (!p) return undefined;
  return Number.isFinite(alpha) ? Math.min(p.max, Math.max(p.min, alpha)) : p.default;
}

/**
 * Activation select plus its α slider. on: {activation(name), alpha(value)}; returns {root, set(name, alpha)}.
 */
export function activationFields(catalog, { activation, alpha }, on) {
  const alphaBox = el("div", { class: "sub-params" });
  const buildAlpha = (name, value) => {
    const p = catalog.activations.find((a) => a.name === name)?.params.find((q) => q.name === "alpha");
    setChildren(alphaBox, p ? slider({ param: p, name: "alpha", value, label: byKey("label.alpha"), onInput: on.alpha }).root : null);
    alphaBox.hidden = !p;
  };
  const select = selectField({
    name: "activation",
    value: activation,
    label: byKey("label.activation"),
    options: catalog.activations.map((a) => ({ value: a.name, label: byCatalog(`activation.${a.name}`, a.title) })),
    onChange: (name) => {
      buildAlpha(name, completeAlpha(name, undefined, catalog));
      on.activation(name);
    },
  });
  buildAlpha(activation, alpha);
  return {
    root: el("div", {}, select.root, alphaBox),
    set(name, value) {
      select.set(name);
      buildAlpha(name, value);
    },
  };
}

/** Init select plus a slider per parameter. onChange(init) with the whole new init. */
export function initFields(catalog, init, onChange) {
  let current = { ...init };
  const params = el("div", { class: "sub-params" });
  const build = () => {
    const spec = catalog.inits.find((i) => i.name === current.name);
    const sliders = spec.params.map((p) =>
      slider({
        param: p,
        name: `init-${p.name}`,
        value: current[p.name],
        scale: INIT_SCALES[p.name],
        label: INIT_PARAM_LABELS.has(p.name) ? byKey(`ip.${p.name}`) : byCatalog(`ip.${p.name}`, p.description),
        onInput: (v) => {
          current = { ...current, [p.name]: v };
          if (current.name === "uniform" && !(current.low < current.high)) return; // wait for a valid pair
          onChange({ ...current });
        },
      }).root,
    );
    setChildren(params, ...sliders);
    params.hidden = sliders.length === 0;
  };
  const select = selectField({
    name: "init",
    value: current.name,
    label: byKey("label.init"),
    options: catalog.inits.map((i) => ({ value: i.name, label: byCatalog(`init.${i.name}`, i.title) })),
    onChange: (name) => {
      current = completeInit({ name }, catalog);
      build();
      onChange({ ...current });
    },
  });
  build();
  return {
    root: el("div", {}, select.root, params),
    set(value) {
      current = { ...value };
      select.set(current.name);
      build();
    },
  };
}

const SHORT_INITS = new Set(["xavier_normal", "xavier_uniform", "he_normal", "he_uniform", "lecun_normal", "zeros"]);

/** A short name for an init: "N(0, 0.01²)", "U(0, 1)", "He normal" (catalog title otherwise). */
export function initLabel(init, catalog, text) {
  if (init.name === "normal") return `N(0, ${init.std}²)`;
  if (init.name === "uniform") return `U(${init.low}, ${init.high})`;
  if (init.name === "constant") return `${text("init.constantShort")} ${init.value}`;
  const spec = catalog.inits.find((i) => i.name === init.name);
  return SHORT_INITS.has(init.name) ? text(`initShort.${init.name}`) : text(`init.${init.name}`, spec?.title ?? init.name);
}
