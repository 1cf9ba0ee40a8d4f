// Labelled form controls built from catalog parameters: sliders (linear or log), selects, number fields.

import { el, uniqueId } from "./dom.js";
import { formatNumber, fromPosition, scaleFor, toPosition } from "./numbers.js";
import { setCatalogText, setText } from "./i18n.js";

/**
 * A labelled range slider for one parameter. `label`: {key} (translated) or {text} (as given) or
 * {key, fallback} for catalog texts. `onInput(value)` fires on every `input` event (while dragging).
 * Returns {root, input, set(value), value}.
 */
export function slider({ param, value, label, onInput, scale: override, name }) {
  const scale = scaleFor(param, override);
  const id = uniqueId(`slider-${name ?? param.name}`);
  const input = el("input", {
    type: "range",
    id,
    min: scale.posMin,
    max: scale.posMax,
    step: scale.posStep,
    class: "slider",
    dataset: { param: name ?? param.name, scale: scale.kind },
  });
  const output = el("output", { for: id, class: "slider-value" });
  const labelNode = el("label", { for: id, class: "field-label" });
  label(labelNode);
  const widget = {
    root: el("div", { class: "field field-slider" }, labelNode, output, input),
    input,
    value,
    set(v) {
      widget.value = v;
      input.value = String(toPosition(scale, v));
      output.textContent = formatNumber(v);
      input.setAttribute("aria-valuetext", formatNumber(v));
    },
  };
  input.addEventListener("input", () => {
    const v = fromPosition(scale, Number(input.value));
    widget.value = v;
    output.textContent = formatNumber(v);
    input.setAttribute("aria-valuetext", formatNumber(v));
    onInput(v);
  });
  widget.set(value);
  return widget;
}

/** A labelled <select>. options: [{value, label(node)}]; returns {root, select, set(value)}. */
export function selectField({ name, value, label, options, onChange }) {
  const id = uniqueId(`select-${name}`);
  const select = el("select", { id, class: "select", dataset: { field: name } });
  for (const option of options) {
    const node = el("option", { value: option.value });
    option.label(node);
    select.append(node);
  }
  select.value = value;
  select.addEventListener("change", () => onChange(select.value));
  const labelNode = el("label", { for: id, class: "field-label" });
  label(labelNode);
  return {
    root: el("div", { class: "field field-select" }, labelNode, select),
    select,
    set(v) {
      select.value = v;
    },
  };
}

/** A labelled text/number input; `onInput(text)` on every keystroke. */
export function textField({ name, value, label, onInput, type = "text", inputmode, min, max, step }) {
  const id = uniqueId(`input-${name}`);
  const input = el("input", { id, type, class: "text-input", value: String(value), inputmode, min, max, step, dataset: { field: name } });
  input.addEventListener("input", () => onInput(input.value, input));
  const labelNode = el("label", { for: id, class: "field-label" });
  label(labelNode);
  return { root: el("div", { class: "field field-text" }, labelNode, input), input };
}

/** Label helpers: translated key, or a catalog text with an optional translation. */
export const byKey = (key, args) => (node) => setText(node, key, args);
export const asText = (text) => (node) => {
  node.textContent = text;
};
export const byCatalog = (key, fallback) => (node) => setCatalogText(node, key, fallback);

/** A labelled checkbox; `onChange(checked)`. Returns {root, input}. */
export function checkField({ name, checked, label, onChange }) {
  const id = uniqueId(`check-${name}`);
  const input = el("input", { id, type: "checkbox", class: "check", checked: Boolean(checked), dataset: { field: name } });
  input.addEventListener("change", () => onChange(input.checked));
  const labelNode = el("label", { for: id, class: "field-label" });
  label(labelNode);
  return { root: el("div", { class: "field field-check" }, input, labelNode), input };
}
