// Pure geometry for the explanation layers of the surface lab (no DOM, no Plotly): the gradient field from
// the sampled surface, eigenvector arrows, the second-order check's bars, and the 3D view's heights.

/** A polyline of one arrow from (x0, y0) to (x1, y1) with a head of `head` × its length:
 * [tail, tip, barb, null, barb, tip, null] as parallel x and y lists (Plotly draws nulls as gaps). */
export function arrowPolyline(x0, y0, x1, y1, head = 0.3, spread = 0.45) {
  const dx = x1 - x0;
  const dy = y1 - y0;
  const c = Math.cos(spread);
  const s = Math.sin(spread);
  const bx = -dx * head;
  const by = -dy * head;
  const left = [x1 + c * bx - s * by, y1 + s * bx + c * by];
  const right = [x1 + c * bx + s * by, y1 - s * bx + c * by];
  return {
    x: [x0, x1, left[0], null, right[0], x1, null],
    y: [y0, y1, left[1], null, right[1], y1, null],
  };
}

/** How many arrows across and up: `count` along the longer side, square cells. */
export function fieldCounts([xr, yr], count = 15) {
  const w = xr[1] - xr[0];
  const h = yr[1] - yr[0];
  if (w >= h) return [count, Math.max(3, Math.round((count * h) / w))];
  return [Math.max(3, Math.round((count * w) / h)), count];
}

/** The gradient of a sampled surface at grid node (i, j) by central differences (one-sided at the edges);
 * `grid.z[i][j]` is f at (x[j], y[i]). NaN next to a missing (null) value: a custom surface's grid has
 * null where f is undefined. */
export function gridGradient(grid, i, j) {
  const { x, y, z } = grid;
  const j0 = Math.max(0, j - 1);
  const j1 = Math.min(x.length - 1, j + 1);
  const i0 = Math.max(0, i - 1);
  const i1 = Math.min(y.length - 1, i + 1);
  const at = (a, b) => z[a][b] ?? NaN;
  return [(at(i, j1) - at(i, j0)) / (x[j1] - x[j0]), (at(i1, j) - at(i0, j)) / (y[i1] - y[i0])];
}

function nearest(values, v) {
  const step = (values[values.length - 1] - values[0]) / (values.length - 1);
  return Math.min(values.length - 1, Math.max(0, Math.round((v - values[0]) / step)));
}

/**
 * Arrows of −∇f at the centres of a coarse grid over the domain, from the surface grid already on the
 * page. Every arrow fits its cell; its length grows with log |∇f| over the field's range (four decades
 * at most), so both gentle valleys and steep walls read. Returns {x, y, count} for one line trace.
 */
export function gradientField(grid, domain, count = 15) {
  const [nx, ny] = fieldCounts(domain, count);
  const [xr, yr] = domain;
  const cell = Math.min((xr[1] - xr[0]) / nx, (yr[1] - yr[0]) / ny);
  const arrows = [];
  for (let a = 0; a < ny; a++) {
    for (let b = 0; b < nx; b++) {
      const px = xr[0] + ((b + 0.5) * (xr[1] - xr[0])) / nx;
      const py = yr[0] + ((a + 0.5) * (yr[1] - yr[0])) / ny;
      const [gx, gy] = gridGradient(grid, nearest(grid.y, py), nearest(grid.x, px));
      const norm = Math.hypot(gx, gy);
      if (Number.isFinite(norm) && norm > 0 && norm < 1e30) arrows.push({ px, py, ux: -gx / norm, uy: -gy / norm, log: Math.log10(norm) });
    }
  }
  const top = Math.max(...arrows.map((a) => a.log));
  const bottom = Math.max(Math.min(...arrows.map((a) => a.log)), top - 4);
  const x = [];
  const y = [];
  for (const a of arrows) {
    const share = top > bottom ? Math.max(0, (a.log - bottom) / (top - bottom)) : 1;
    const half = (cell * 0.86 * (0.3 + 0.7 * share)) / 2;
    const line = arrowPolyline(a.px - a.ux * half, a.py - a.uy * half, a.px + a.ux * half, a.py + a.uy * half, 0.34);
    x.push(...line.x);
    y.push(...line.y);
  }
  return { x, y, count: arrows.length };
}

export const CURVES_UP = "#0072B2";
export const CURVES_DOWN = "#D55E00";

/**
 * The two eigenvectors at `point` as arrows through it (an eigenvector's sign is arbitrary: each is drawn
 * both ways). Half-lengths ∝ 1/√|λ|, the axes of the local quadratic's level ellipse: the flattest
 * direction gets `reach`, a direction curving √k times as strongly 1/√k of it (at least a fifth).
 * `answer`: the surface-point answer {eigenvalues, eigenvectors (columns)}. Returns
 * [{index, lambda, color, x0, y0, x1, y1}] (from the negative tip to the positive tip).
 */
export function eigenArrows(answer, point, reach) {
  const lambdas = answer.eigenvalues;
  const flattest = Math.min(...lambdas.map(Math.abs));
  return lambdas.map((lambda, k) => {
    const vx = answer.eigenvectors[0][k];
    const vy = answer.eigenvectors[1][k];
    const ratio = Math.abs(lambda) > 0 ? Math.sqrt(flattest / Math.abs(lambda)) : 1;
    const half = reach * Math.max(0.2, Math.min(1, ratio));
    return {
      index: k,
      lambda,
      color: lambda < 0 ? CURVES_DOWN : CURVES_UP,
      x0: point[0] - vx * half,
      y0: point[1] - vy * half,
      x1: point[0] + vx * half,
      y1: point[1] + vy * half,
    };
  });
}

/** An SVG path (data coordinates) of a double-headed arrow: the shaft and a head at each end. */
export function doubleArrowPath({ x0, y0, x1, y1 }, head = 0.22) {
  const one = arrowPolyline(x0, y0, x1, y1, head);
  const other = arrowPolyline(x1, y1, x0, y0, head);
  const at = (line, i) => `${line.x[i]},${line.y[i]}`;
  return `M${at(one, 0)}L${at(one, 1)}M${at(one, 2)}L${at(one, 1)}L${at(one, 4)}M${at(other, 2)}L${at(other, 1)}L${at(other, 4)}`;
}

/**
 * The second-order check as two bars: εgᵀg and ½ε²gᵀHg as shares of the larger magnitude (a negative
 * curvature term is drawn by its size and flagged), and whether the step raises the loss.
 */
export function secondOrderBars(answer) {
  const first = answer.first_order;
  const second = answer.second_order;
  const scale = Math.max(Math.abs(first), Math.abs(second));
  const share = (v) => (scale > 0 ? Math.abs(v) / scale : 0);
  return { first: share(first), second: share(second), negative: second < 0, raises: Boolean(answer.step_raises_loss) };
}

/**
 * Heights for the 3D view: for surfaces drawn with log-spaced levels, log10(f − min + δ) with `min` the
 * grid's lowest value and δ four decades below its range (a floor: a narrow valley sampled on a grid
 * would otherwise show as spikes), else f itself.
 */
export function heightTransform(z, logLevels) {
  if (!logLevels) return (v) => v; // null (undefined there) stays null: a gap in the mesh
  let min = Infinity;
  let max = -Infinity;
  for (const row of z) for (const v of row) if (Number.isFinite(v)) (min = Math.min(min, v)), (max = Math.max(max, v));
  const floor = Math.max(1e-3, (max - min) * 1e-4);
  return (v) => (v === null ? null : Math.log10(Math.max(v - min, 0) + floor));
}
