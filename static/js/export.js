// The numbers on the page as files: the surface runs (points, loss, gradient norm per step) and the
// network histories (loss and accuracy per report) as CSV or JSON, downloaded without a server round
// trip. The CSV columns are those of the REST API's `format=csv` answers.

const csvCell = (value) => (typeof value === "string" && /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : String(value ?? ""));
const csvRow = (cells) => cells.map(csvCell).join(",");

/** Surface runs → rows `run,optimizer,step,x,y,loss,grad_norm,status`, steps 0 … last recorded. */
export function trajectoriesCsv(runs, optimizers) {
  const lines = [csvRow(["run", "optimizer", "step", "x", "y", "loss", "grad_norm", "status"])];
  runs.forEach((run, r) => {
    for (let k = 0; k < run.x.length; k++) {
      lines.push(csvRow([r, optimizers[r], k, run.x[k], run.y[k], run.loss[k], run.gradNorm ? run.gradNorm[k] : "", run.status]));
    }
  });
  return `${lines.join("\n")}\n`;
}

/** Surface runs → JSON: per run its optimizer, status, divergence step and the per-step arrays. */
export function trajectoriesJson(runs, optimizers) {
  const list = (a) => (a ? Array.from(a) : null);
  return JSON.stringify(
    runs.map((run, r) => ({ run: r, optimizer: optimizers[r], status: run.status, diverged_at: run.diverged_at ?? null, x: list(run.x), y: list(run.y), loss: list(run.loss), grad_norm: list(run.gradNorm) })),
  );
}

/** Network histories → rows `net,step,epoch,train_loss,val_loss,train_accuracy,val_accuracy`. */
export function historyCsv(histories) {
  const names = ["step", "epoch", "train_loss", "val_loss", "train_accuracy", "val_accuracy"];
  const lines = [csvRow(["net", ...names])];
  histories.forEach((h, n) => {
    for (let i = 0; i < h.curves.step.length; i++) lines.push(csvRow([n, ...names.map((k) => h.curves[k][i])]));
  });
  return `${lines.join("\n")}\n`;
}

/** Network histories → JSON: the curves, the newest per-layer statistics and histograms (with their bin
 * edges) of each network. */
export function historyJson(histories) {
  const rows = (array) => (array ? Array.from({ length: array.shape[0] }, (_, i) => Array.from(array.data.subarray(i * array.shape[1], (i + 1) * array.shape[1]))) : null);
  return JSON.stringify(
    histories.map((h, n) => {
      const a = h.last?.arrays ?? {};
      return {
        net: n,
        step: h.step,
        curves: h.curves,
        layers: h.layers(),
        histograms: { edges: h.setup.edges ?? null, act: rows(a.act_hist), preact: rows(a.preact_hist), grad: rows(a.grad_hist), weight: rows(a.weight_hist) },
      };
    }),
  );
}

/** The init experiment's layers → rows `layer,bin_low,bin_high,count`, every bin of every layer
 * (the REST API's `table=histograms`); the means and standard deviations are in the JSON. */
export function initHistogramsCsv(layers) {
  const lines = [csvRow(["layer", "bin_low", "bin_high", "count"])];
  for (const { index, histogram: h } of layers) h.counts.forEach((c, i) => lines.push(csvRow([index, h.edges[i], h.edges[i + 1], c])));
  return `${lines.join("\n")}\n`;
}

/** Save `text` as a file named `name` (the browser's download, no server). */
export function download(name, text, type) {
  downloadBlob(name, new Blob([text], { type }));
}

/** Save a Blob (a recorded video, say) as a file named `name`. */
export function downloadBlob(name, blob) {
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement("a"), { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
