// Fetches the surface sampled on a grid (POST /api/v1/surface-grid): one request in flight, newest wins.

export class GridLoader {
  /** onGrid(surfaceSpec, grid) on success; onError(message, surfaceSpec, detail) on failure (`detail`: the
   * 422's list, whose ctx points at a custom expression's bad characters). Neither for an answer that a
   * newer ask has overtaken. */
  constructor({ onGrid, onError, resolution = 120 }) {
    this.onGrid = onGrid;
    this.onError = onError;
    this.resolution = resolution;
    this.inFlight = false;
    this.queued = null;
    this.cache = new Map();
  }

  /** Ask for the grid of {name, params}; while a request is running only the newest ask is kept. */
  load(surface) {
    const key = JSON.stringify(surface);
    if (this.cache.has(key)) {
      this.queued = null;
      this.onGrid(surface, this.cache.get(key));
      return;
    }
    this.queued = surface;
    if (!this.inFlight) this.next();
  }

  async next() {
    const surface = this.queued;
    if (!surface) return;
    this.queued = null;
    this.inFlight = true;
    try {
      const response = await fetch("/api/v1/surface-grid", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ surface, resolution: this.resolution }),
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        if (!this.queued) this.onError(body.message ?? `${response.status} ${response.statusText}`, surface, body.detail ?? []);
        return;
      }
      if (this.cache.size > 32) this.cache.clear();
      this.cache.set(JSON.stringify(surface), body);
      if (!this.queued) this.onGrid(surface, body);
    } catch (err) {
      if (!this.queued) this.onError(err.message, surface, []);
    } finally {
      this.inFlight = false;
      this.next();
    }
  }
}
