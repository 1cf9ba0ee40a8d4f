// Pure number helpers (no DOM): display formatting, rounding, and slider scales.

/** Round to `digits` significant digits, so slider values read (and serialize) as 0.002, not 0.0019953. */
export function roundSig(value, digits = 3) {
  if (!Number.isFinite(value) || value === 0) return value;
  return Number(value.toPrecision(digits));
}

/** A short, readable number: 0.002, 1.5, 120, 1.2e-5, 3.4e+6 → "3.4e6". */
export function formatNumber(value, digits = 3) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  if (!Number.isFinite(value)) return value > 0 ? "∞" : "−∞";
  if (value === 0) return "0";
  const abs = Math.abs(value);
  let text;
  if (abs >= 1e4 || abs < 1e-3) {
    text = value.toExponential(Math.max(0, digits - 1)).replace(/\.?0+e/, "e").replace("e+", "e");
  } else {
    text = String(roundSig(value, digits));
  }
  return text.replace(/^-/, "−");
}

/** Format a coordinate pair compactly: (−1.50, 2.00). */
export function formatPoint([x, y]) {
  return [x, y].map((v) => (Math.abs(v) < 1e-9 ? "0.00" : v.toFixed(2).replace(/^-/, "−")));
}

const LOG_POSITIONS_PER_DECADE = 100;

/**
 * How a slider maps positions to values, from a catalog parameter {min, max, default, scale?, integer?}.
 * kinds: "linear"; "log" (position = log10 value); "log0" (log, but the leftmost position is 0).
 */
export function scaleFor(param, override = {}) {
  const p = { ...param, ...override };
  const { min, max } = p;
  let kind = p.scale;
  if (!kind) kind = min > 0 && max / min >= 100 ? "log" : "linear";
  if (kind === "log" && !(min > 0)) kind = "log0";
  if (kind === "linear") {
    const step = p.integer ? 1 : 10 ** Math.floor(Math.log10((max - min) / 1000));
    return { kind, min, max, step, posMin: min, posMax: max, posStep: step, integer: Boolean(p.integer) };
  }
  const lo = kind === "log0" ? (p.logMin ?? max * 1e-6) : min;
  const posStep = 1 / LOG_POSITIONS_PER_DECADE;
  // Positions on whole multiples of the step, so the max (e.g. 1000 when the min is 2) is reachable.
  const first = Number((Math.floor(Math.log10(lo) / posStep + 1e-9) * posStep).toFixed(10));
  return {
    kind,
    min,
    max,
    lo,
    posMin: kind === "log0" ? first - posStep : first,
    posMax: Number((Math.ceil(Math.log10(max) / posStep - 1e-9) * posStep).toFixed(10)),
    posStep,
    integer: Boolean(p.integer),
  };
}

/** The slider position of `value`. */
export function toPosition(scale, value) {
  if (scale.kind === "linear") return Math.min(scale.posMax, Math.max(scale.posMin, value));
  if (scale.kind === "log0" && value < scale.lo) return scale.posMin;
  return Math.min(scale.posMax, Math.max(scale.posMin, Math.log10(value)));
}

/** The value at slider position `pos`, rounded to what the display shows and clamped to [min, max]. */
export function fromPosition(scale, pos) {
  let value;
  if (scale.kind === "linear") value = Number((scale.posMin + Math.round((pos - scale.posMin) / scale.posStep) * scale.posStep).toPrecision(10));
  else if (scale.kind === "log0" && pos <= scale.posMin + scale.posStep / 2) value = 0;
  else value = roundSig(10 ** pos, scale.integer ? 2 : 3);
  if (scale.integer) value = Math.round(value);
  return Math.min(scale.max, Math.max(scale.min, value));
}
