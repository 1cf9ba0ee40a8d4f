// Embedding and presenting a view: flags in the query string (`?embed=1`, `?present=1`,
// `<name>_hide=1`, as TensorFlow Playground has them), the header's Embed dialog that writes an
// <iframe> snippet of the current view, the presenter toggle, and the presenter's keys.

import { el, isEditableTarget, setChildren } from "./dom.js";
import { onLanguageChange, t } from "./i18n.js";

const truthy = (value) => value === "1" || value === "true";

/** The query string's view flags: {embed, present, hide: [section names]}. */
export function readViewFlags(search = location.search, hideable = []) {
  const params = new URLSearchParams(search);
  return {
    embed: truthy(params.get("embed")),
    present: truthy(params.get("present")),
    hide: hideable.filter((name) => truthy(params.get(`${name}_hide`))),
  };
}

/** The URL of an embedded copy of this view: the page, `embed=1`, the hidden sections, the view's link. */
export function embedUrl(hidden, { origin = location.origin, path = location.pathname, hash = location.hash } = {}) {
  const query = ["embed=1", ...hidden.map((name) => `${name}_hide=1`)].join("&");
  return `${origin}${path}?${query}${hash}`;
}

export function iframeSnippet(url) {
  return `<iframe src="${url.replace(/"/g, "&quot;")}" width="960" height="640" style="border:0" title="DescentLab" allow="fullscreen" loading="lazy"></iframe>`;
}

function setQueryFlag(name, on) {
  const params = new URLSearchParams(location.search);
  if (on) params.set(name, "1");
  else params.delete(name);
  const query = params.toString();
  history.replaceState(null, "", `${location.pathname}${query ? `?${query}` : ""}${location.hash}`);
}

/** Presenter mode on or off: large type, thick lines, high contrast; fullscreen when a click asked. */
export function setPresenting(on, { fullscreen = false } = {}) {
  document.body.classList.toggle("present", on);
  setQueryFlag("present", on);
  document.getElementById("present-button")?.setAttribute("aria-pressed", String(on));
  if (fullscreen && on && !document.fullscreenElement) document.documentElement.requestFullscreen?.().catch(() => {});
  if (!on && document.fullscreenElement) document.exitFullscreen?.().catch(() => {});
  window.dispatchEvent(new Event("resize")); // the charts refit to the new type size
}

/** The Embed dialog: a tick box per hideable section, the snippet, a copy button. */
class EmbedDialog {
  constructor(hideable) {
    this.all = hideable.filter((name) => name !== "header" && name !== "intro");
    this.hidden = new Set();
    this.dialog = el("dialog", { class: "embed-dialog", id: "embed-dialog", "aria-labelledby": "embed-title" });
    document.body.append(this.dialog);
    onLanguageChange(() => this.dialog.open && this.render());
  }

  open() {
    this.hideable = this.all.filter((name) => document.querySelector(`[data-hide="${name}"]`)); // the sections this view has
    this.render();
    this.dialog.showModal();
  }

  render() {
    const snippet = el("textarea", { class: "embed-snippet", id: "embed-snippet", readonly: true, rows: 4, "aria-label": t("share.snippet") });
    snippet.value = iframeSnippet(embedUrl([...this.hidden]));
    const boxes = this.hideable.map((name) =>
      el(
        "label",
        { class: "embed-keep" },
        el("input", {
          type: "checkbox",
          checked: !this.hidden.has(name),
          dataset: { section: name },
          on: {
            change: (event) => {
              if (event.target.checked) this.hidden.delete(name);
              else this.hidden.add(name);
              snippet.value = iframeSnippet(embedUrl([...this.hidden]));
            },
          },
        }),
        t(`section.${name}`),
      ),
    );
    const copy = el("button", { type: "button", class: "button primary", on: { click: () => this.copy(snippet, copy) } }, t("share.copy"));
    setChildren(
      this.dialog,
      el("h2", { id: "embed-title" }, t("share.embedTitle")),
      el("p", {}, t("share.embedHelp")),
      el("div", { class: "embed-keeps" }, boxes),
      snippet,
      el("div", { class: "embed-actions" }, copy, el("button", { type: "button", class: "button", on: { click: () => this.dialog.close() } }, t("share.close"))),
    );
  }

  async copy(snippet, button) {
    snippet.select();
    try {
      await navigator.clipboard.writeText(snippet.value);
    } catch {
      document.execCommand?.("copy");
    }
    button.textContent = t("share.copied");
  }
}

/** Wire the header's Embed and Present buttons (absent on pages without a lab). */
export function bindShareButtons(hideable) {
  const embed = document.getElementById("embed-button");
  const present = document.getElementById("present-button");
  if (embed) {
    const dialog = new EmbedDialog(hideable);
    embed.addEventListener("click", () => dialog.open());
  }
  present?.addEventListener("click", () => setPresenting(!document.body.classList.contains("present"), { fullscreen: true }));
}

/**
 * Presenter keys (only in presenter mode, never while typing): ↑/↓ the learning rate one notch,
 * `r` restart, `n`/`p` the lesson's next/previous step. Space and ←/→ are the player's own keys.
 * `on`: {rate(direction), restart(), lesson(direction)}, each optional.
 */
export function bindPresenterKeys(on) {
  const keys = { ArrowUp: () => on.rate?.(1), ArrowDown: () => on.rate?.(-1), r: () => on.restart?.(), n: () => on.lesson?.(1), p: () => on.lesson?.(-1) };
  document.addEventListener("keydown", (event) => {
    if (!document.body.classList.contains("present") || event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    const onRange = target instanceof HTMLInputElement && target.type === "range";
    if (!keys[event.key] || (isEditableTarget(target) && !(onRange && event.key.length === 1))) return;
    event.preventDefault();
    keys[event.key]();
  });
}

/** One notch of a learning rate for the presenter's ↑/↓: ×10^±0.1 (ten notches a decade), 3 digits. */
export function nudgeRate(rate, direction, min, max) {
  const next = Number((rate * 10 ** (0.1 * direction)).toPrecision(3));
  return Math.min(max, Math.max(min, next));
}
