// "About this surface": the catalog's formula (MathML), description, domain and known minima.

import { el, onWidthChange, setChildren } from "../dom.js";
import { setCatalogText, setText } from "../i18n.js";
import { setMath } from "../mathml.js";
import { formatNumber } from "../numbers.js";

const pair = ([a, b]) => `(${formatNumber(a)}, ${formatNumber(b)})`;
const refitting = new WeakSet(); // about boxes whose formula is refitted when their width changes

export function renderAbout(root, surface) {
  const custom = Boolean(surface.custom); // a typed expression: shown as typed, no known minima
  const title = custom ? setText(el("h3", { class: "about-title" }), "surface.custom") : setCatalogText(el("h3", { class: "about-title" }), `surface.${surface.name}`, surface.title);
  const formula = el("div", { class: "formula" });
  if (custom) setChildren(formula, el("code", { class: "custom-formula" }, `f(x, y) = ${surface.expression}`));
  else setMath(formula, surface.formula.mathml);
  const description = custom
    ? setText(el("p", { class: "about-description" }), "custom.about")
    : setCatalogText(el("p", { class: "about-description" }), `surface.${surface.name}.description`, surface.description);
  const [xr, yr] = surface.domain;
  let minima = surface.minima.length ? el("dd", {}, surface.minima.map(pair).join("  ")) : setText(el("dd"), "about.noMinima");
  if (custom) minima = setText(el("dd"), "custom.minima");
  const facts = el(
    "dl",
    { class: "facts" },
    setText(el("dt"), "about.domain"),
    el("dd", {}, `x ∈ [${formatNumber(xr[0])}, ${formatNumber(xr[1])}], y ∈ [${formatNumber(yr[0])}, ${formatNumber(yr[1])}]`),
    setText(el("dt"), "about.minima"),
    minima,
  );
  setChildren(root, title, formula, description, facts);
  fitFormula(formula);
  if (!refitting.has(root)) {
    refitting.add(root); // one observer per box, however often the surface changes
    onWidthChange(root, () => fitFormula(root.querySelector(".formula")));
  }
}


/** Shrink a formula wider than its box (Beale's three squares) to fit it, down to 60 % of its size:
 * MathML has no line breaking here, and a scrolled formula is lost on a projector. */
function fitFormula(formula) {
  formula.style.fontSize = "";
  if (!formula.clientWidth) return; // hidden
  const over = formula.scrollWidth / formula.clientWidth;
  const base = parseFloat(getComputedStyle(formula).fontSize);
  if (over > 1.005) formula.style.fontSize = `${Math.max(0.6 * base, base / over).toFixed(1)}px`;
}
