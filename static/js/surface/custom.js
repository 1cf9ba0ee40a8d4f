// The custom surface's editor: f(x, y) typed in a monospace box (the grammar summarised from the catalog
// under it) and the domain's four bounds. Reports a change ~300 ms after the last keystroke; the lab asks
// the server, and hands a refusal back here: its message in monospace (the caret stays under the
// character) and the characters it points at highlighted in the box itself.

import { el, setChildren, uniqueId } from "../dom.js";
import { setText, t } from "../i18n.js";
import { validDomain } from "../state.js";

export const TYPING_DELAY_MS = 300;
// The field path of the refused request and pydantic's "Value error, ": not for a reader.
const FIELD_PREFIX = /^(surface\.custom\.(expression|domain)(\.\d+)*|message|body): (Value error, )?/;

export class CustomSurfaceEditor {
  /** `grammar`: the catalog's custom_surface; `onChange({expression, domain})` after typing pauses. */
  constructor(grammar, { onChange }) {
    this.grammar = grammar;
    this.onChange = onChange;
    this.timer = 0;
    this.mark = null; // [position, end) of the characters the last refusal points at
    this.build();
  }

  build() {
    const id = uniqueId("custom-expression");
    const label = setText(el("label", { for: id, class: "field-label" }), "custom.expression");
    this.input = el("textarea", {
      id,
      class: "text-input expr-input",
      rows: 1,
      spellcheck: "false",
      autocomplete: "off",
      autocapitalize: "off",
      maxlength: this.grammar.max_length,
      dataset: { field: "expression" },
    });
    this.backdrop = el("div", { class: "expr-backdrop", "aria-hidden": "true" });
    this.input.addEventListener("input", () => {
      this.unmark(); // the marked characters have moved: the next answer marks again
      this.fit();
      this.schedule();
    });
    this.input.addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      event.preventDefault(); // one line of formula; Enter asks at once
      this.emitNow();
    });
    this.input.addEventListener("scroll", () => (this.backdrop.scrollTop = this.input.scrollTop));
    const box = el("div", { class: "expr-box" }, this.backdrop, this.input);
    this.hint = el("p", { class: "note expr-hint", id: uniqueId("expr-hint") });
    // The refusal: its reason wraps; the excerpt and its caret line keep their columns (monospace, unwrapped).
    this.reason = el("p", { class: "expr-reason" });
    this.excerpt = el("pre", { class: "expr-excerpt" });
    this.message = el("div", { class: "expr-message", role: "alert", id: uniqueId("expr-message"), hidden: true }, this.reason, this.excerpt);
    this.input.setAttribute("aria-describedby", `${this.hint.id} ${this.message.id}`);
    this.relabel();

    this.bounds = {};
    const bound = (axis, k) => {
      const input = el("input", {
        type: "number",
        class: "text-input domain-input",
        step: "any",
        inputmode: "decimal",
        dataset: { field: `domain-${axis}${k === 0 ? "-low" : "-high"}` },
      });
      const key = k === 0 ? "custom.lowLabel" : "custom.highLabel";
      input.dataset.i18nAriaLabel = key;
      input.setAttribute("data-i18n-args", JSON.stringify({ axis }));
      input.setAttribute("aria-label", t(key, { axis }));
      input.addEventListener("input", () => this.schedule());
      this.bounds[`${axis}${k}`] = input;
      return input;
    };
    const row = (axis) => {
      const from = setText(el("span", { class: "domain-word" }), "custom.from", { axis });
      const to = setText(el("span", { class: "domain-word" }), "custom.to");
      return el("div", { class: "domain-row" }, from, bound(axis, 0), to, bound(axis, 1));
    };
    const domainLabel = setText(el("span", { class: "field-label" }), "custom.domain");
    this.domainNote = el("p", { class: "note invalid domain-message", role: "alert", hidden: true });
    domainLabel.id = uniqueId("domain-label");
    this.domainBox = el("div", { class: "domain-box", role: "group", "aria-labelledby": domainLabel.id }, domainLabel, row("x"), row("y"), this.domainNote);
    this.root = el("div", { class: "custom-surface" }, el("div", { class: "field field-text expr-field" }, label, box), this.hint, this.message, this.domainBox);
  }

  /** The grammar in one line, from the catalog (after a language switch too). */
  relabel() {
    const g = this.grammar;
    setText(this.hint, "custom.hint", {
      operators: g.operators.join(" "),
      functions: g.functions.join(" "),
      binary: g.binary_functions.map((f) => `${f}(a, b)`).join(" "),
      constants: g.constants.join(" "),
      max: g.max_length,
    });
  }

  /** Show an expression and domain (the state's), dropping any pending change and message. */
  set(expression, domain) {
    clearTimeout(this.timer);
    this.timer = 0;
    this.input.value = expression;
    domain.forEach((range, a) => range.forEach((v, k) => (this.bounds[`${a === 0 ? "x" : "y"}${k}`].value = String(v))));
    this.clearError();
    this.fit();
  }

  /** What is typed now: {expression, domain} (domain null while a bound is not a number). */
  read() {
    const value = (key) => {
      const text = this.bounds[key].value.trim();
      return text === "" ? Number.NaN : Number(text);
    };
    const domain = [
      [value("x0"), value("x1")],
      [value("y0"), value("y1")],
    ];
    return { expression: this.input.value, domain };
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.emitNow(), TYPING_DELAY_MS);
  }

  emitNow() {
    clearTimeout(this.timer);
    this.timer = 0;
    const { expression, domain } = this.read();
    const ok = validDomain(domain, this.grammar.max_domain);
    for (const input of Object.values(this.bounds)) input.setAttribute("aria-invalid", "false");
    if (!ok) {
      domain.flat().forEach((v, i) => {
        const input = Object.values(this.bounds)[i];
        const pairBad = i % 2 === 0 ? !(v < domain[i >> 1][1]) : !(domain[i >> 1][0] < v);
        if (!Number.isFinite(v) || Math.abs(v) > this.grammar.max_domain || pairBad) input.setAttribute("aria-invalid", "true");
      });
      setText(this.domainNote, "custom.badDomain", { max: this.grammar.max_domain });
      this.domainNote.hidden = false;
      return;
    }
    this.domainNote.hidden = true;
    this.onChange({ expression, domain });
  }

  /** True while a change is waiting for typing to pause. */
  get pending() {
    return this.timer !== 0;
  }

  /** A refusal: the server's message (its field path dropped) and, with `ctx` {position, end}, the
   * characters it points at marked in the box. */
  showError(message, ctx = null) {
    const [reason, ...excerpt] = message.replace(FIELD_PREFIX, "").split("\n");
    this.reason.textContent = reason;
    this.excerpt.textContent = excerpt.join("\n");
    this.excerpt.hidden = excerpt.length === 0;
    this.message.hidden = false;
    this.input.setAttribute("aria-invalid", "true");
    if (ctx && Number.isInteger(ctx.position)) this.mark = [ctx.position, Math.max(ctx.end ?? ctx.position + 1, ctx.position + 1)];
    else this.mark = null;
    this.paint();
  }

  clearError() {
    this.message.hidden = true;
    this.reason.textContent = "";
    this.excerpt.textContent = "";
    this.input.setAttribute("aria-invalid", "false");
    this.domainNote.hidden = true;
    this.unmark();
  }

  unmark() {
    this.mark = null;
    this.paint();
  }

  /** The backdrop under the (transparent) box: the same text, the marked characters on a red ground. */
  paint() {
    const text = this.input.value;
    if (!this.mark) {
      setChildren(this.backdrop, text);
      this.root.dataset.marked = "";
      return;
    }
    const [a, b] = this.mark;
    const marked = text.slice(a, b) || " "; // "unexpected end": mark the place after the last character
    setChildren(this.backdrop, text.slice(0, a), el("mark", {}, marked), text.slice(b));
    this.root.dataset.marked = `${a},${b}`;
  }

  /** As tall as its text (a long formula wraps rather than scrolling out of sight). */
  fit() {
    this.paint();
    this.input.style.height = "auto";
    if (this.input.scrollHeight) this.input.style.height = `${this.input.scrollHeight + 2}px`;
  }
}
