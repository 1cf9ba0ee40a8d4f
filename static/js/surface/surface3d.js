// The 3D view of the surface lab: the loss as a WebGL surface with every run's path drawn on it (scatter3d
// lines) and the timeline cursor's points. Drawn only while shown; hidden, it hands its WebGL context back.
/* global Plotly */

import { FONT, followWidth, plotConfig } from "../plot.js";
import { heightTransform } from "./curvaturemodel.js";

// The contour's blue-grey, a shade deeper: a lit mesh needs more contrast than flat fills.
const HEIGHT_SCALE = [[0, "#3d5f87"], [0.3, "#7893b5"], [0.65, "#b9c9dc"], [1, "#eef2f7"]];

export class Surface3DChart {
  constructor(div) {
    this.div = div;
    this.grid = null;
    this.surface = null;
    this.paths = [];
    this.cursor = [];
    this.labels = { height: "loss", heightLog: "log₁₀(loss − min)" };
    this.visible = false;
    this.rendered = false;
    followWidth(div, () => this.fitHeight());
  }

  /** A square-ish scene: a tall, narrow one would clip the turned surface at its sides. */
  fitHeight() {
    this.div.style.height = `${Math.round(Math.max(340, Math.min(620, this.div.clientWidth * 0.92)))}px`;
  }

  setSurface(surface, grid) {
    this.surface = surface;
    this.grid = grid;
    this.height = heightTransform(grid.z, grid.log_levels);
    this.z = grid.z.map((row) => row.map(this.height));
    let lo = Infinity;
    let hi = -Infinity;
    for (const row of this.z) for (const v of row) if (Number.isFinite(v)) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
    this.zRange = [lo, hi];
  }

  /** Runs: [{x, y, loss, color, name}] as the contour gets them. */
  setPaths(runs) {
    this.paths = runs;
  }

  setLabels(labels) {
    this.labels = { ...this.labels, ...labels };
  }

  /** Shown (drawn at the next render) or hidden (its WebGL context freed). */
  show(visible) {
    this.visible = visible;
    this.div.hidden = !visible;
    if (!visible && this.rendered) {
      Plotly.purge(this.div);
      this.rendered = false;
    }
  }

  /** Lift paths a hair above the surface so the mesh does not hide them. */
  lift() {
    return 0.012 * (this.zRange[1] - this.zRange[0] || 1);
  }

  /** Heights of a path: on the drawn mesh or above it (between grid points the mesh cuts across a
   * narrow valley above its true floor, and would hide a path drawn at its own loss). */
  pathZ(run) {
    const lift = this.lift();
    return Array.from(run.loss, (v, k) => Math.max(this.height(v), this.meshHeight(run.x[k], run.y[k])) + lift);
  }

  /** The mesh's height at (x, y), or above it: the higher of the two ways to split its grid cell into
   * triangles (WebGL draws triangles; which diagonal it takes is its own business). */
  meshHeight(x, y) {
    const { x: xs, y: ys } = this.grid;
    const fx = ((x - xs[0]) / (xs[xs.length - 1] - xs[0])) * (xs.length - 1);
    const fy = ((y - ys[0]) / (ys[ys.length - 1] - ys[0])) * (ys.length - 1);
    if (!(fx >= 0 && fy >= 0 && fx <= xs.length - 1 && fy <= ys.length - 1)) return -Infinity;
    const j = Math.min(Math.floor(fx), xs.length - 2);
    const i = Math.min(Math.floor(fy), ys.length - 2);
    const u = fx - j;
    const w = fy - i;
    const [a, b, c, d] = [this.z[i][j], this.z[i][j + 1], this.z[i + 1][j], this.z[i + 1][j + 1]]; // (0,0) (1,0) (0,1) (1,1)
    if ([a, b, c, d].some((v) => v === null)) return -Infinity; // a gap in the mesh (f undefined there)
    const main = u >= w ? a + u * (b - a) + w * (d - b) : a + w * (c - a) + u * (d - c);
    const anti = u + w <= 1 ? a + u * (b - a) + w * (c - a) : d + (1 - u) * (c - d) + (1 - w) * (b - d);
    return Math.max(main, anti);
  }

  cursorTrace() {
    const points = this.cursor.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && Number.isFinite(p.loss));
    return {
      type: "scatter3d",
      mode: "markers",
      x: points.map((p) => p.x),
      y: points.map((p) => p.y),
      z: points.map((p) => Math.max(this.height(p.loss), this.meshHeight(p.x, p.y)) + 2 * this.lift()),
      marker: { size: 6, color: points.map((p) => p.color), line: { color: "#ffffff", width: 2 } },
      hoverinfo: "skip",
      showlegend: false,
      meta: { role: "cursor3d" },
    };
  }

  traces() {
    const grid = this.grid;
    const traces = [
      {
        type: "surface",
        x: grid.x,
        y: grid.y,
        z: this.z,
        colorscale: HEIGHT_SCALE,
        showscale: false,
        opacity: 0.96,
        contours: { z: { show: true, usecolormap: false, color: "rgba(30, 41, 59, 0.25)", width: 1 } },
        lighting: { ambient: 0.75, diffuse: 0.5, specular: 0.05 },
        hovertemplate: "x = %{x:.3f}<br>y = %{y:.3f}<extra></extra>",
        meta: { role: "surface3d" },
      },
    ];
    for (const [i, run] of this.paths.entries()) {
      traces.push({
        type: "scatter3d",
        mode: "lines",
        x: run.x,
        y: run.y,
        z: this.pathZ(run),
        name: run.name,
        line: { color: run.color, width: 6 },
        hovertemplate: `${run.name}<br>(%{x:.3f}, %{y:.3f})<extra></extra>`,
        showlegend: false,
        meta: { role: "path3d", run: i },
      });
    }
    traces.push(this.cursorTrace());
    return traces;
  }

  layout() {
    const [xr, yr] = this.surface.domain;
    const aspect = (xr[1] - xr[0]) / (yr[1] - yr[0]);
    const axis = { backgroundcolor: "#fbfcfd", gridcolor: "#d5dbe3", showbackground: true, zeroline: false };
    return {
      uirevision: JSON.stringify([this.surface.name, this.surface.domain]),
      margin: { l: 4, r: 4, t: 0, b: 0 },
      font: FONT,
      paper_bgcolor: "rgba(0,0,0,0)",
      showlegend: false,
      hoverlabel: { font: { size: 14 } },
      scene: {
        xaxis: { ...axis, title: { text: "x" }, range: [...xr] },
        yaxis: { ...axis, title: { text: "y" }, range: [...yr] },
        zaxis: { ...axis, nticks: 5, title: { text: this.grid.log_levels ? this.labels.heightLog : this.labels.height } },
        aspectmode: "manual",
        aspectratio: { x: aspect >= 1 ? aspect : 1, y: aspect >= 1 ? 1 : 1 / aspect, z: 0.7 },
        camera: { eye: { x: -0.6, y: -1.25, z: 2.0 }, center: { x: 0, y: 0, z: -0.22 } },
      },
    };
  }

  render() {
    if (!this.visible || !this.grid) return;
    this.fitHeight();
    Plotly.react(this.div, this.traces(), this.layout(), plotConfig());
    this.rendered = true;
  }

  /** Cursor points [{x, y, loss, color}]; moved in place (the surface is not redrawn). */
  setCursor(points) {
    this.cursor = points;
    if (!this.rendered) return;
    const trace = this.cursorTrace();
    const index = this.div.data.findIndex((t) => t.meta?.role === "cursor3d");
    if (index >= 0) Plotly.restyle(this.div, { x: [trace.x], y: [trace.y], z: [trace.z], "marker.color": [trace.marker.color] }, [index]);
  }
}
