// Catalog MathML → DOM nodes. A formula written as "A,\quad B" becomes two block equations, so long
// update rules wrap line by line instead of overflowing a narrow card.

const NS = "http://www.w3.org/1998/Math/MathML";

function isLineBreak(node) {
  const next = node.nextElementSibling;
  return node.localName === "mo" && node.textContent.trim() === "," && next?.localName === "mspace" && next.getAttribute("width") === "1em";
}

function fallback(mathml) {
  const holder = document.createElement("div");
  holder.innerHTML = mathml;
  return [...holder.childNodes];
}

/** One <math display="block"> node per equation of `mathml`. */
export function mathNodes(mathml) {
  const doc = new DOMParser().parseFromString(mathml, "application/xml");
  const root = doc.documentElement;
  if (root.localName !== "math" || doc.getElementsByTagName("parsererror").length) return fallback(mathml);
  const only = root.children.length === 1 && root.firstElementChild.localName === "mrow" ? root.firstElementChild : root;
  const lines = [[]];
  const children = [...only.children];
  for (let i = 0; i < children.length; i++) {
    if (isLineBreak(children[i])) {
      lines.push([]);
      i += 1; // skip the \quad after the comma
      continue;
    }
    lines.at(-1).push(children[i]);
  }
  return lines
    .filter((line) => line.length)
    .map((line) => {
      const math = document.createElementNS(NS, "math");
      math.setAttribute("display", "block");
      const row = document.createElementNS(NS, "mrow");
      for (const node of line) row.append(document.importNode(node, true));
      math.append(row);
      return math;
    });
}

/** Fill `container` with the equations of one or more MathML strings. */
export function setMath(container, ...mathml) {
  container.replaceChildren(...mathml.flatMap(mathNodes));
  return container;
}
