// Binary WebSocket frames (docs/protocol.md), decoded without touching the DOM:
// uint32 LE header length H · H bytes of JSON header (space-padded to a multiple of 4) · float32 LE payload.

const decoder = new TextDecoder();

/** Split a frame into its JSON header and a Float32Array view of its payload (no copy). */
export function decodeFrame(buffer) {
  if (!(buffer instanceof ArrayBuffer)) throw new TypeError("a binary frame must be an ArrayBuffer");
  if (buffer.byteLength < 4) throw new Error("frame shorter than its length prefix");
  const headerLength = new DataView(buffer).getUint32(0, true);
  if (4 + headerLength > buffer.byteLength || headerLength % 4 !== 0) throw new Error("bad frame header length");
  const header = JSON.parse(decoder.decode(new Uint8Array(buffer, 4, headerLength)));
  const payload = new Float32Array(buffer, 4 + headerLength, (buffer.byteLength - 4 - headerLength) / 4);
  return { header, payload };
}

/** Take every `stride`-th float starting at `offset + field`, `count` times. */
function column(payload, offset, count, stride, field) {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = payload[offset + i * stride + field];
  return out;
}

/**
 * A `paths` frame → {header, runs: [{x, y, loss, gradNorm, series, ...header.runs[i]}]}.
 * The payload holds, per run in order, `length` points of the header's `fields` (x, y, loss, grad_norm);
 * then, per run in order, the arrays its `series` names ([[name, shape], …]: `learning_rate` of a
 * scheduled run, `step_size` (length − 1, 2) of an adaptive rule), as {name: {data, shape}} views.
 */
export function decodePaths(header, payload) {
  const fields = header.fields ?? ["x", "y", "loss", "grad_norm"];
  const stride = fields.length;
  const index = (name) => fields.indexOf(name);
  let offset = 0;
  const runs = header.runs.map((meta) => {
    const n = meta.length;
    if (offset + n * stride > payload.length) throw new Error("paths payload shorter than its header says");
    const run = {
      ...meta,
      x: column(payload, offset, n, stride, index("x")),
      y: column(payload, offset, n, stride, index("y")),
      loss: column(payload, offset, n, stride, index("loss")),
      gradNorm: index("grad_norm") >= 0 ? column(payload, offset, n, stride, index("grad_norm")) : null,
    };
    offset += n * stride;
    return run;
  });
  for (const [i, meta] of header.runs.entries()) {
    const layout = meta.series ?? [];
    const size = layout.reduce((sum, [, shape]) => sum + shape.reduce((a, b) => a * b, 1), 0);
    if (offset + size > payload.length) throw new Error("paths payload shorter than its series say");
    runs[i].series = decodeLayout(layout, payload.subarray(offset, offset + size));
    offset += size;
  }
  return { header, runs };
}

/**
 * A `tick` frame → {header, from, cursor, runs: [{x, y, loss}]} with the points of steps from..cursor.
 */
export function decodeTick(header, payload) {
  const count = header.cursor - header.from + 1;
  const perRun = Math.max(0, count) * 3;
  if (perRun * header.runs > payload.length) throw new Error("tick payload shorter than its header says");
  const runs = [];
  for (let r = 0; r < header.runs; r++) {
    const offset = r * perRun;
    runs.push({
      x: column(payload, offset, count, 3, 0),
      y: column(payload, offset, count, 3, 1),
      loss: column(payload, offset, count, 3, 2),
    });
  }
  return { header, from: header.from, cursor: header.cursor, runs };
}

/**
 * Named arrays of a payload laid out as `layout` = [[name, shape], …] (network `setup` and `chunk`
 * frames): {name: {data: Float32Array view, shape}}, in order, without copying.
 */
export function decodeLayout(layout, payload) {
  const arrays = {};
  let offset = 0;
  for (const [name, shape] of layout) {
    const size = shape.reduce((a, b) => a * b, 1);
    if (offset + size > payload.length) throw new Error(`payload shorter than its layout says (at ${name})`);
    arrays[name] = { data: payload.subarray(offset, offset + size), shape };
    offset += size;
  }
  return arrays;
}

/** Row `i` of a 2-D layout array (a view). */
export function row(array, i) {
  const width = array.shape[array.shape.length - 1];
  return array.data.subarray(i * width, (i + 1) * width);
}

/** Decode any binary frame to a typed message: {type: "paths"|"tick"|"setup"|"chunk", seq, version, …}. */
export function decodeMessage(buffer) {
  const { header, payload } = decodeFrame(buffer);
  const base = { type: header.type, seq: header.seq, version: header.version };
  if (header.type === "paths") return { ...base, ...decodePaths(header, payload) };
  if (header.type === "tick") return { ...base, ...decodeTick(header, payload) };
  if (header.layout) return { ...base, header, payload, arrays: decodeLayout(header.layout, payload) };
  return { ...base, header, payload };
}

/** Encode a frame the way the server does (for tests and tools). */
export function encodeFrame(header, floats) {
  let head = new TextEncoder().encode(JSON.stringify(header));
  const padded = new Uint8Array(Math.ceil(head.length / 4) * 4).fill(0x20);
  padded.set(head);
  head = padded;
  const values = Float32Array.from(floats);
  const buffer = new ArrayBuffer(4 + head.length + values.byteLength);
  new DataView(buffer).setUint32(0, head.length, true);
  new Uint8Array(buffer, 4, head.length).set(head);
  new Float32Array(buffer, 4 + head.length).set(values);
  return buffer;
}
