// The network lab's shared controls: the preset menu with the compare toggle, and the data panel
// (dataset, its parameters, validation split). Network panels live in panel.js.

import { el, setChildren } from "../dom.js";
import { setText } from "../i18n.js";
import { byCatalog, byKey, checkField, selectField, slider, textField } from "../widgets.js";
import { LESSONS } from "./state.js";

const CUSTOM = "custom";

export class PresetPanel {
  /** on: {lesson(lesson), compare(on), mc(on)} */
  constructor(root, on) {
    this.select = selectField({
      name: "lesson",
      value: LESSONS[0].id,
      label: byKey("net.lesson"),
      options: [{ value: CUSTOM, label: byKey("net.lesson.custom") }, ...LESSONS.map((l) => ({ value: l.id, label: byKey(`net.lesson.${l.id}`) }))],
      onChange: (id) => {
        const lesson = LESSONS.find((l) => l.id === id);
        if (lesson) on.lesson(lesson);
      },
    });
    this.note = el("p", { class: "lesson" });
    this.compare = checkField({ name: "compare", checked: false, label: byKey("net.compare"), onChange: (checked) => on.compare(checked) });
    this.mc = checkField({ name: "mc", checked: false, label: byKey("net.mc"), onChange: (checked) => on.mc(checked) });
    setChildren(root, this.select.root, this.note, this.compare.root, this.mc.root);
  }

  setMc(on) {
    this.mc.input.checked = on;
  }

  /** Show the lesson the view matches (or "your own setup") and whether two networks train. */
  set(lesson, compare) {
    this.select.set(lesson?.id ?? CUSTOM);
    this.select.select.querySelector(`option[value="${CUSTOM}"]`).hidden = Boolean(lesson);
    setText(this.note, lesson ? `net.lessonNote.${lesson.id}` : "net.lessonNote.custom");
    this.compare.input.checked = compare;
  }
}

const DATA_SCALES = { n: { scale: "log" }, classes: { scale: "linear" } };
const DATA_LABELS = new Set(["n", "noise", "factor", "classes"]);
const VALIDATION = { name: "val", min: 0, max: 0.9, default: 0.5, scale: "linear" };

export class DataPanel {
  /** onChange(): the state's data or validation split changed (a restart). */
  constructor(root, catalog, state, onChange) {
    Object.assign(this, { root, catalog, state, onChange });
    this.build();
  }

  build() {
    const state = this.state;
    const dataset = selectField({
      name: "dataset",
      value: state.data.name,
      label: byKey("label.dataset"),
      options: this.catalog.datasets.map((d) => ({ value: d.name, label: byCatalog(`dataset.${d.name}`, d.title) })),
      onChange: (name) => {
        const spec = this.catalog.datasets.find((d) => d.name === name);
        const keep = { n: state.data.n, seed: state.data.seed };
        state.data = { name, ...Object.fromEntries(spec.params.map((p) => [p.name, keep[p.name] ?? p.default])) };
        this.build();
        this.onChange();
      },
    });
    const spec = this.catalog.datasets.find((d) => d.name === state.data.name);
    const params = spec.params.filter((p) => p.name !== "seed").map((p) =>
      slider({
        param: { ...p, integer: ["n", "classes"].includes(p.name) },
        name: `data-${p.name}`,
        value: state.data[p.name],
        scale: DATA_SCALES[p.name],
        label: DATA_LABELS.has(p.name) ? byKey(`dp.${p.name}`) : byCatalog(`dp.${p.name}`, p.description),
        onInput: (v) => {
          state.data[p.name] = v;
          this.onChange();
        },
      }).root,
    );
    const seed = textField({
      name: "data-seed",
      type: "number",
      value: state.data.seed,
      min: 0,
      step: 1,
      inputmode: "numeric",
      label: byKey("label.dataSeed"),
      onInput: (text, input) => {
        const n = Number(text);
        const ok = text !== "" && Number.isInteger(n) && n >= 0 && n <= 2 ** 31 - 1;
        input.setAttribute("aria-invalid", String(!ok));
        if (!ok) return;
        state.data.seed = n;
        this.onChange();
      },
    });
    const validation = slider({
      param: VALIDATION,
      value: state.val,
      label: byKey("label.validation"),
      onInput: (v) => {
        state.val = v;
        this.onChange();
      },
    });
    setChildren(this.root, dataset.root, el("div", { class: "sub-params" }, ...params, seed.root), validation.root);
  }
}
