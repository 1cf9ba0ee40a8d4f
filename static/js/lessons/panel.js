// The lesson card above a lab: title, setup, the predict-then-run question, and, once the run has
// played, the answer with the numbers read from the live result. The lab decides when the run is
// shown and when it has ended; the card only asks, tells and links to the neighbouring lessons.

import { el, setChildren } from "../dom.js";
import { getLanguage, onLanguageChange, setText, t } from "../i18n.js";
import { formatNumber } from "../numbers.js";
import { formatFact, readFacts, splitTemplate } from "./facts.js";

/** Fetch every lesson (GET /api/v1/lessons). */
export async function fetchLessons() {
  const response = await fetch("/api/v1/lessons");
  if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
  return response.json();
}

/**
 * A lesson's link merged with the page's own: the lesson's view is the base, anything the page's link
 * sets wins (a student's moved slider stays moved after a reload). `parse(hash)` is the lab's reader.
 */
export function lessonState(lesson, partial, parse) {
  const { state: base } = parse(`#${lesson.view}`);
  const own = Object.fromEntries(Object.entries(partial).filter(([k, v]) => k !== "hide" && v !== undefined));
  return { ...base, ...own, hide: [...new Set([...(base.hide ?? []), ...(partial.hide ?? [])])] };
}

const text = (pair) => pair[getLanguage()] ?? pair.en;

export class LessonPanel {
  /**
   * `lesson` and the whole list (for previous/next); `pick`: the choice in the link, or null.
   * on: {pick(choiceId), skip(), finish?()}: the student chose; asked to see the run without choosing;
   * asked for the answer before the run ended (labs that can jump to the end pass `finish`).
   */
  constructor(root, { lesson, lessons, pick }, on) {
    this.root = root;
    this.lesson = lesson;
    this.lessons = lessons;
    this.on = on;
    this.pick = pick ?? null;
    this.phase = "question"; // question → running → answer
    this.result = null;
    this.folded = false; // only the title and the answer show (more room for the figure on a projector)
    root.hidden = false;
    root.classList.add("lesson-panel");
    onLanguageChange(() => this.render());
    this.render();
  }

  get index() {
    return this.lessons.findIndex((l) => l.id === this.lesson.id);
  }

  /** The neighbouring lesson's URL (step = ±1), or null at either end. */
  neighbour(step) {
    const other = this.lessons[this.index + step];
    return other ? other.url : null;
  }

  /** The student chose (or skipped: `id` null): the lab shows and plays the run. */
  choose(id) {
    if (this.phase !== "question") return;
    this.pick = id;
    this.phase = "running";
    this.foldForProjector();
    this.render();
    if (id) this.on.pick(id);
    else this.on.skip();
  }

  /** The run is being shown (a link that already holds a choice starts here). */
  setRunning() {
    this.phase = "running";
    this.foldForProjector();
    this.render();
  }

  /** The run ended: show the answer, its numbers read from `result` (and re-read on every later result). */
  showAnswer(result) {
    this.result = result;
    this.phase = "answer";
    this.render();
  }

  /** n / p in presenter mode: one lesson step forward or back (question → run → answer → next lesson). */
  advance(step) {
    if (step > 0) {
      if (this.phase === "question") this.choose(null);
      else if (this.phase === "running") this.on.finish?.();
      else if (this.neighbour(1)) location.assign(this.linkTo(this.neighbour(1)));
    } else if (this.phase !== "question") this.askAgain();
    else if (this.neighbour(-1)) location.assign(this.linkTo(this.neighbour(-1)));
  }

  /** Start the lesson over from its own link (the question again, the lesson's view). */
  askAgain() {
    location.assign(this.linkTo(this.lesson.url));
  }

  /** A lesson URL in the language on screen, keeping presenter and embed mode (`?present=1`, `?embed=1`). */
  linkTo(url) {
    const target = new URL(url, location.origin);
    const here = new URLSearchParams(location.search);
    for (const flag of ["present", "embed"]) if (here.has(flag)) target.searchParams.set(flag, here.get(flag));
    if (getLanguage() === "zh") target.hash += "&lang=zh";
    return `${target.pathname}${target.search}${target.hash}`;
  }

  render() {
    const lesson = this.lesson;
    const position = setText(el("span", { class: "lesson-position" }), "lesson.position", { k: this.index + 1, n: this.lessons.length });
    const nav = el(
      "nav",
      { class: "lesson-nav", "aria-label": t("lesson.nav") },
      this.navLink(-1, "lesson.previous"),
      el("a", { href: getLanguage() === "zh" ? "/lessons#lang=zh" : "/lessons", class: "lesson-all" }, t("lesson.all")),
      this.navLink(1, "lesson.next"),
    );
    const fold = el(
      "button",
      { type: "button", class: "button small lesson-fold", "aria-expanded": String(!this.folded), on: { click: () => this.setFolded(!this.folded) } },
      t(this.folded ? "lesson.unfold" : "lesson.fold"),
    );
    const head = el("div", { class: "lesson-head" }, position, el("h2", { class: "lesson-heading", id: "lesson-heading" }, text(lesson.title)), nav, fold);
    const setup = el("p", { class: "lesson-setup" }, text(lesson.setup));
    const question = el("p", { class: "lesson-question", id: "lesson-question" }, text(lesson.question));
    const choices = el(
      "div",
      { class: "lesson-choices", role: "group", "aria-labelledby": "lesson-question" },
      lesson.choices.map((c) => this.choiceButton(c)),
    );
    setChildren(this.root, head, setup, question, choices, this.footer());
    this.root.dataset.phase = this.phase;
    this.root.classList.toggle("folded", this.folded);
  }

  /** In presenter mode the question is done once the run starts: fold, so the figure fits the screen. */
  foldForProjector() {
    if (document.body.classList.contains("present")) this.folded = true;
  }

  /** Fold the card to its title (and the answer, once there is one), or unfold it. */
  setFolded(folded) {
    this.folded = folded;
    this.render();
    window.dispatchEvent(new Event("resize")); // the charts below move up or down
  }

  navLink(step, key) {
    const url = this.neighbour(step);
    return url ? el("a", { href: this.linkTo(url), class: "lesson-step-link", rel: step > 0 ? "next" : "prev" }, t(key)) : el("span", { class: "lesson-step-link disabled" }, t(key));
  }

  choiceButton(choice) {
    const answered = this.phase !== "question";
    const classes = ["lesson-choice"];
    if (choice.id === this.pick) classes.push("picked");
    if (this.phase === "answer" && choice.id === this.lesson.correct) classes.push("correct");
    return el(
      "button",
      {
        type: "button",
        class: classes.join(" "),
        dataset: { choice: choice.id },
        "aria-pressed": String(choice.id === this.pick),
        disabled: answered,
        on: { click: () => this.choose(choice.id) },
      },
      el("span", { class: "choice-letter", "aria-hidden": "true" }, choice.id), // lower case: A and B name networks
      el("span", {}, text(choice.text)),
    );
  }

  footer() {
    if (this.phase === "question") {
      return el(
        "div",
        { class: "lesson-foot" },
        el("span", { class: "lesson-hint" }, t("lesson.predict")),
        el("button", { type: "button", class: "button link-button lesson-skip", on: { click: () => this.choose(null) } }, t("lesson.skip")),
      );
    }
    if (this.phase === "running") {
      return el(
        "div",
        { class: "lesson-foot", role: "status" },
        el("span", { class: "lesson-hint" }, t("lesson.running")),
        this.on.finish ? el("button", { type: "button", class: "button lesson-finish", on: { click: () => this.on.finish() } }, t("lesson.finish")) : null,
      );
    }
    return el("div", { class: "lesson-answer", role: "status" }, this.verdict(), this.answerText(), el("button", { type: "button", class: "button link-button lesson-again", on: { click: () => this.askAgain() } }, t("lesson.again")));
  }

  verdict() {
    const correct = this.lesson.choices.find((c) => c.id === this.lesson.correct);
    const letter = correct.id;
    if (!this.pick) return el("p", { class: "lesson-verdict" }, t("lesson.verdictSkipped", { letter, choice: text(correct.text) }));
    const right = this.pick === this.lesson.correct;
    return el(
      "p",
      { class: `lesson-verdict ${right ? "right" : "wrong"}` },
      t(right ? "lesson.verdictRight" : "lesson.verdictWrong", { letter, choice: text(correct.text) }),
    );
  }

  /** The answer template with each {fact} replaced by the number read from the result. */
  answerText() {
    const values = readFacts(this.lesson, this.result);
    const missing = (kind) => t(`lesson.missing.${kind}`);
    const parts = splitTemplate(text(this.lesson.answer)).map((part) => {
      if (part.text !== undefined) return part.text;
      const kind = this.lesson.facts[part.fact].kind;
      const value = values[part.fact];
      return el("b", { class: "fact", dataset: { fact: part.fact, kind, value: value === null ? "null" : String(value) } }, formatFact(kind, value, missing, formatNumber));
    });
    return el("p", { class: "lesson-explain" }, ...parts);
  }
}
