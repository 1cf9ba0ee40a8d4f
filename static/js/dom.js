// Tiny DOM helpers shared by the pages: build elements declaratively, no framework.

/**
 * el("button", {class: "btn", type: "button", on: {click: fn}, dataset: {i18n: "x"}}, "text", child)
 * Properties listed in PROPS are assigned (value, checked, …); everything else is an attribute.
 */
const PROPS = new Set(["value", "checked", "disabled", "hidden", "innerHTML", "textContent", "min", "max", "step"]);

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "on") for (const [type, fn] of Object.entries(value)) node.addEventListener(type, fn);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (PROPS.has(key)) node[key] = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Replace all children of `node`. */
export function setChildren(node, ...children) {
  node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

let uid = 0;
/** A page-unique id for label/for pairs. */
export function uniqueId(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** True when a key press should go to the focused control rather than to page shortcuts. */
export function isEditableTarget(target) {
  if (!(target instanceof Element)) return false;
  if (target.isContentEditable) return true;
  return Boolean(target.closest("input, select, textarea, button, summary, a[href], [role=slider]"));
}

/** Call `callback()` whenever `element` changes width (a grid's columns, not only the window, move it). */
export function onWidthChange(element, callback) {
  let width = element.clientWidth;
  new ResizeObserver(() => {
    if (element.clientWidth === width) return;
    width = element.clientWidth;
    callback();
  }).observe(element);
}

/** Keep a sticky stage in view beside a long sidebar; one taller than the window pins by its bottom. */
export function pinStage(stage) {
  const place = () => (stage.style.top = `${Math.min(12, window.innerHeight - stage.offsetHeight - 12)}px`);
  new ResizeObserver(place).observe(stage);
  window.addEventListener("resize", place);
}
