// What every lab page shares: starting from the link and the catalog, hiding the sections a link asks to
// hide, and writing the view back into the link.

import { Banner } from "./banner.js";
import { setLanguage } from "./i18n.js";
import { fetchLessons, lessonState } from "./lessons/panel.js";
import { bindPresenterKeys, bindShareButtons, readViewFlags, setPresenting } from "./share.js";

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

/** The lesson a link names (`lesson=id`) and the whole list, or null when it names none. */
async function loadLesson(id) {
  if (!id) return null;
  const lessons = await fetchLessons();
  return { lesson: lessons.find((l) => l.id === id) ?? null, lessons };
}

/**
 * Start a lab page: read the link (`parse(hash) -> {state, problems}`), set the language, load the
 * catalog (and the lesson the link names: its view is the base the link's own values override), build
 * the lab (`create(catalog, partialState, lesson)`, which must have a `banner` and a `hashWriter`;
 * `lesson` is {lesson, lessons} or null) and expose it as `window[globalName]` for the browser tests
 * and curious students. A link pasted into the tab later starts the page over from it. The query string
 * may embed the page (`embed=1`), present it (`present=1`) and hide sections (`<name>_hide=1`, of
 * `hideable`); the lab's `presenterKeys()` gives the presenter's ↑/↓, r, n, p their meaning.
 */
export async function startPage({ parse, create, globalName, hideable }) {
  const { state: parsed, problems } = parse(location.hash);
  const flags = readViewFlags(location.search, hideable);
  parsed.hide = [...new Set([...(parsed.hide ?? []), ...flags.hide])];
  document.body.classList.toggle("embed", flags.embed);
  if (flags.present) setPresenting(true);
  bindShareButtons(hideable);
  setLanguage(parsed.lang === "zh" ? "zh" : "en");
  let catalog;
  let lesson;
  try {
    [catalog, lesson] = await Promise.all([fetchCatalog(), loadLesson(parsed.lesson)]);
  } catch (err) {
    new Banner($("banner")).show("load", "error", "banner.loadFailed", { message: err.message });
    return;
  }
  let partial = parsed;
  if (lesson?.lesson) {
    partial = lessonState(lesson.lesson, parsed, parse);
    for (const intro of document.querySelectorAll(".intro")) intro.hidden = true; // the lesson card says what this is
  }
  else if (lesson) {
    problems.push(`lesson: ${parsed.lesson}`);
    partial = { ...parsed, lesson: undefined, pick: undefined };
    lesson = null;
  }
  const lab = create(catalog, partial, lesson);
  if (problems.length) lab.banner.show("hash", "error", "banner.badLink", { message: problems.join("; ") }, { timeout: 12000 });
  window.addEventListener("hashchange", () => {
    if (location.hash !== lab.hashWriter.written) location.reload();
  });
  bindPresenterKeys(lab.presenterKeys?.() ?? {});
  window[globalName] = lab;
}
