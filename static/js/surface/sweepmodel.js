// The sweep panel's pure part (no DOM): the request for POST /api/v1/sweep, a sweep's answer as heatmap
// layers, and a basin map's starts sorted by the minimum they reached.

export const GRID_SIZES = [32, 64, 128];
export const MAX_SWEEP_STEPS = 2000;
export const START_AXES = ["start_x", "start_y"];

/** The axes a run can be swept over: its optimizer's hyperparameters, with their catalog ranges. */
export function axisChoices(optimizer) {
  return optimizer.hyperparameters.map((h) => ({ name: h.name, title: h.title, min: h.min, max: h.max, scale: h.scale === "log" ? "log" : "linear" }));
}

/**
 * A first range for an axis: a linear one spans its catalog range; a log one (a learning rate, an ε)
 * three decades below the run's value to two above, within the catalog range, so the edge where
 * runs start to diverge is in view and not squeezed into a corner.
 */
export function defaultRange(choice, value) {
  if (choice.scale !== "log" || !(value > 0)) return { name: choice.name, low: choice.min, high: choice.max, scale: choice.scale };
  const decade = Math.floor(Math.log10(value) + 1e-9);
  const low = Math.max(choice.min, Number((10 ** (decade - 3)).toPrecision(1)));
  const high = Math.min(choice.max, Number((10 ** (decade + 2)).toPrecision(1)));
  return { name: choice.name, low, high, scale: "log" };
}

/** A first pair of axes: the learning rate against the optimizer's next hyperparameter (if it has one). */
export function defaultAxes(optimizer, hyperparameters = {}) {
  const choices = axisChoices(optimizer);
  const first = choices.find((c) => c.name === "learning_rate") ?? choices[0];
  const second = choices.find((c) => c !== first) ?? null;
  return [first, second].filter(Boolean).map((c) => defaultRange(c, hyperparameters[c.name]));
}

/**
 * The request body. `run` is the run as sent to the live session ({optimizer, hyperparameters, schedule,
 * clip}); `axes` [{name, low, high, scale}] for a hyperparameter sweep, or null for a basin map over
 * the surface's whole domain.
 */
export function sweepRequest({ surface, domain, start, steps, noise, run, axes, count, tolerance }) {
  const swept = axes ?? START_AXES.map((name, k) => ({ name, low: domain[k][0], high: domain[k][1], scale: "linear" }));
  return {
    surface,
    start,
    steps,
    run,
    noise,
    axes: swept.map((a) => ({ name: a.name, low: a.low, high: a.high, count, scale: a.scale })),
    tolerance,
  };
}

/** What a sweep's cells depend on besides its axes: when this changes, the heatmap no longer shows the run. */
export function sweepContext(body) {
  const swept = new Set(body.axes.map((a) => a.name));
  const hyperparameters = Object.fromEntries(Object.entries(body.run.hyperparameters).filter(([k]) => !swept.has(k)));
  const start = swept.has("start_x") ? null : body.start;
  return JSON.stringify([body.surface, start, body.steps, body.noise, { ...body.run, hyperparameters }]);
}

/** Plot coordinate of an axis value: log10 on a log axis (the heatmap's cells are even there). */
export function toPlot(axis, value) {
  return axis.scale === "log" ? Math.log10(value) : value;
}

/** Tick positions and labels of a log axis drawn in log10 coordinates: whole decades in range (at most
 * about eight), or four evenly spaced values when the range spans less than two decades. */
export function decadeTicks(lo, hi, format) {
  let vals = [];
  for (let k = Math.ceil(lo - 1e-9); k <= Math.floor(hi + 1e-9); k += 1) vals.push(k);
  if (vals.length < 2) vals = hi > lo ? [0, 1, 2, 3].map((q) => lo + ((hi - lo) * q) / 3) : [lo];
  const step = Math.max(1, Math.ceil(vals.length / 8));
  const kept = vals.filter((_, i) => i % step === 0);
  return { tickvals: kept, ticktext: kept.map((k) => format(10 ** k)) };
}

/** z[row][col] for Plotly (row: axes[1], col: axes[0]) from the answer's cells [i][j] (i: axes[0]). */
export function transpose(cells, f) {
  const rows = cells[0].length;
  return Array.from({ length: rows }, (_, j) => cells.map((column, i) => f(column[j], i, j)));
}

/**
 * Heatmap layers of a hyperparameter sweep. `view` "loss": colour by final loss, on a log scale when
 * every finite loss is positive; "steps": by steps to tolerance, "never" where the run ends above it.
 * Returns {value, logScale, never, diverged} (each z[row][col], null where the layer does not apply).
 */
export function heatLayers(answer, view) {
  const diverged = transpose(answer.status, (s) => (s === "diverged" ? 1 : null));
  if (view === "steps") {
    const value = transpose(answer.steps_to_tolerance, (k) => k);
    const never = transpose(answer.status, (s, i, j) => (s === "ok" && answer.steps_to_tolerance[i][j] === null ? 1 : null));
    return { value, logScale: false, never, diverged };
  }
  let min = Infinity;
  for (const column of answer.final_loss) for (const v of column) if (v !== null && v < min) min = v;
  const logScale = min > 0;
  const value = transpose(answer.final_loss, (v) => (v === null ? null : logScale ? Math.log10(v) : v));
  return { value, logScale, never: null, diverged };
}

/**
 * Which known minimum each start reached: category k (0 … minima.length − 1) when its final point lies
 * within `radius` of minimum k, `minima.length` ("stalled": ended far from every known minimum) when it
 * does not, `minima.length + 1` when it diverged. `radius` defaults to 2 % of the domain's diagonal.
 * Returns {category[i][j], counts[k]}.
 */
export function classifyBasins(answer, minima, domain, radius = null) {
  const [[x0, x1], [y0, y1]] = domain;
  const r = radius ?? 0.02 * Math.hypot(x1 - x0, y1 - y0);
  const stalled = minima.length;
  const counts = new Array(minima.length + 2).fill(0);
  const category = answer.final_point.map((column, i) =>
    column.map((point, j) => {
      let k = stalled + 1;
      if (answer.status[i][j] === "ok") {
        k = stalled;
        let best = r;
        minima.forEach((m, index) => {
          const d = Math.hypot(point[0] - m[0], point[1] - m[1]);
          if (d <= best) {
            best = d;
            k = index;
          }
        });
      }
      counts[k] += 1;
      return k;
    }),
  );
  return { category, counts };
}

/**
 * Where the starts of a basin map ended, for a surface whose minima are not known (a typed one): the ok
 * cells' final points gathered greedily within `radius` (2 % of the domain's diagonal), each place kept
 * when at least `share` of the cells end there, the most reached first, at most `most` of them.
 */
export function endClusters(answer, domain, { most = 6, share = 0.01, radius = null } = {}) {
  const [[x0, x1], [y0, y1]] = domain;
  const r = radius ?? 0.02 * Math.hypot(x1 - x0, y1 - y0);
  const places = []; // {x, y, n}: the first point of each place, and how many cells end there
  let total = 0;
  answer.final_point.forEach((column, i) =>
    column.forEach((point, j) => {
      total += 1;
      if (answer.status[i][j] !== "ok" || !point) return;
      const near = places.find((p) => Math.hypot(point[0] - p.x, point[1] - p.y) <= r);
      if (near) near.n += 1;
      else if (places.length < 512) places.push({ x: point[0], y: point[1], n: 1 });
    }),
  );
  return places
    .filter((p) => p.n >= share * total)
    .sort((a, b) => b.n - a.n)
    .slice(0, most)
    .map((p) => [p.x, p.y]);
}

/** A Plotly colourscale that paints integer category k (z = k + 0.5, zmin 0, zmax colors.length) in colors[k]. */
export function categoryScale(colors) {
  const n = colors.length;
  return colors.flatMap((c, k) => [[k / n, c], [(k + 1) / n, c]]);
}
