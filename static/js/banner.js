// Messages above the charts: errors (role=alert, dismissable) and connection notices. Never silent.

import { el } from "./dom.js";
import { setText, t } from "./i18n.js";

export class Banner {
  constructor(root) {
    this.root = root;
    this.items = new Map();
  }

  /** Show (or replace) message `id`: kind "error" | "info"; text from `key` and `args`. */
  show(id, kind, key, args, { timeout = 0 } = {}) {
    this.hide(id);
    const text = el("span", { class: "banner-text" });
    setText(text, key, args);
    const close = el("button", { type: "button", class: "icon-button banner-close", on: { click: () => this.hide(id) } }, el("span", { "aria-hidden": "true" }, "✕"));
    close.dataset.i18nAriaLabel = "banner.dismiss";
    close.setAttribute("aria-label", t("banner.dismiss"));
    const node = el("div", { class: `banner banner-${kind}`, role: kind === "error" ? "alert" : "status", dataset: { id } }, text, close);
    this.root.append(node);
    const timer = timeout ? setTimeout(() => this.hide(id), timeout) : 0;
    this.items.set(id, { node, timer });
  }

  hide(id) {
    const item = this.items.get(id);
    if (!item) return;
    clearTimeout(item.timer);
    item.node.remove();
    this.items.delete(id);
  }
}
