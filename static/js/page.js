// What every lab page shares: starting from the link and the catalog, hiding the sections a link asks to
// hide, and writing the view back into the link.

import { Banner } from "./banner.js";
import { setLanguage } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const HASH_DELAY_MS = 120;

/** `<name>_hide=true` in the link hides a section (classrooms, embeds); no controls left: no sidebar. */
export function applyHidden(hide) {
  for (const name of hide) for (const node of document.querySelectorAll(`[data-hide="${name}"]`)) node.hidden = true;
  const sidebar = $("sidebar");
  const empty = [...sidebar.children].every((child) => child.hidden);
  sidebar.hidden = empty;
  document.querySelector(".lab-grid").classList.toggle("no-sidebar", empty);
}

/** Writes the view into the URL hash (debounced, with replaceState: no history entry, no hashchange). */
export class HashWriter {
  constructor(serialize) {
    this.serialize = serialize;
    this.written = null;
    this.timer = null;
  }

  save(state) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.written = `#${this.serialize(state)}`;
      if (location.hash !== this.written) history.replaceState(null, "", this.written);
    }, HASH_DELAY_MS);
  }
}

async function fetchCatalog() {
  const response = await fetch("/api/v1/catalog");
  if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
  return response.json();
}

/**
 * Start a lab page: read the link (`parse(hash) -> {state, problems}`), set the language, load the
 * catalog, build the lab (`create(catalog, partialState)`, which must have a `banner` and a `hashWriter`)
 * and expose it as `window[globalName]` for the browser tests and curious students. A link pasted into
 * the tab later starts the page over from it.
 */
export async function startPage({ parse, create, globalName }) {
  const { state: partial, problems } = parse(location.hash);
  setLanguage(partial.lang === "zh" ? "zh" : "en");
  let catalog;
  try {
    catalog = await fetchCatalog();
  } catch (err) {
    new Banner($("banner")).show("load", "error", "banner.loadFailed", { message: err.message });
    return;
  }
  const lab = create(catalog, partial);
  if (problems.length) lab.banner.show("hash", "error", "banner.badLink", { message: problems.join("; ") }, { timeout: 12000 });
  window.addEventListener("hashchange", () => {
    if (location.hash !== lab.hashWriter.written) location.reload();
  });
  window[globalName] = lab;
}
