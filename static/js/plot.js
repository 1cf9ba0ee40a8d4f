// Shared Plotly styling: the pages' font, axis style and config (Plotly's own buttons in the page's
// language, from the i18n table's "plotly:" entries).
/* global Plotly */

import { onWidthChange } from "./dom.js";
import { plotlyLocale, t } from "./i18n.js";

export const FONT = { family: 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC", sans-serif', size: 14, color: "#1f2937" };
export const AXIS = { zeroline: false, showline: true, linecolor: "#4b5563", mirror: true, ticks: "outside", tickcolor: "#4b5563", gridcolor: "#e5e7eb" };
const REMOVED_BUTTONS = ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines", "sendChartToCloud", "sendDataToCloud"];
const registered = new Set();

/** A file name for a chart's image: the chart's element id and the page, e.g. "descentlab-surface-loss". */
function imageName(gd) {
  return ["descentlab", document.body.dataset.page, gd.id].filter(Boolean).join("-");
}

/** Plotly's own SVG export as a modebar button beside its PNG camera (no server round trip). */
const SVG_BUTTON = {
  name: "downloadSvg",
  get title() {
    return t("export.svg");
  },
  icon: {
    width: 1000,
    height: 1000,
    path: "M500 50l-250 300h160v300h180v-300h160zM100 750h800v150h-800z",
  },
  click: (gd) => Plotly.downloadImage(gd, { format: "svg", filename: imageName(gd) }),
};

/** Plotly config in the page's language; `extra` overrides (e.g. {displayModeBar: false}). Every chart's
 * modebar downloads it as PNG (the camera) and as SVG. */
export function plotConfig(extra = {}) {
  const locale = plotlyLocale();
  if (locale.name !== "en" && !registered.has(locale.name)) {
    Plotly.register({ moduleType: "locale", name: locale.name, dictionary: locale.dictionary });
    registered.add(locale.name);
  }
  return {
    responsive: true,
    displaylogo: false,
    showTips: false,
    locale: locale.name,
    modeBarButtonsToRemove: REMOVED_BUTTONS,
    modeBarButtonsToAdd: [SVG_BUTTON],
    toImageButtonOptions: { format: "png", scale: 2, filename: document.body.dataset.page ? `descentlab-${document.body.dataset.page}` : "descentlab" },
    ...extra,
  };
}

/** A chart with no zoom to offer: its modebar holds only the PNG and SVG downloads. */
export const EXPORT_ONLY = { modeBarButtons: [["toImage", SVG_BUTTON]] };

/**
 * Redraw a Plotly chart at its container's new width whenever that changes (Plotly's `responsive`
 * follows only the window; a page's grid can change a chart's width without the window moving).
 * `before()` runs first, e.g. to set a height that depends on the width. A chart hidden meanwhile (the
 * contour behind the 3D view) is left alone: Plotly cannot size what is not displayed.
 */
export function followWidth(div, before = () => {}) {
  onWidthChange(div, () => {
    if (!div.getClientRects().length) return;
    before();
    if (div._fullLayout) Plotly.Plots.resize(div);
  });
}

/** A transparent-paper layout with the shared font; `extra` is merged on top. */
export function baseLayout(extra = {}) {
  return {
    font: FONT,
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "#ffffff",
    showlegend: false,
    hoverlabel: { font: { size: 14 } },
    ...extra,
  };
}
