// Asks POST /api/v1/surface-point for the curvature at a point. Hover moves fire many asks: at most one
// request is in flight, only the newest ask waits behind it, and an ask equal to the last one sent is
// dropped. Nothing here waits on the page: answers arrive through callbacks.

export class PointProbe {
  /** onAnswer(body, answer, context) on success; onError(body, message, context) on a refusal or a failed
   * request (`context`: what the asker passed along with the body). */
  constructor({ onAnswer, onError }) {
    this.onAnswer = onAnswer;
    this.onError = onError;
    this.inFlight = false;
    this.queued = null;
    this.lastKey = null;
    this.sent = 0; // requests sent (the browser tests read it)
  }

  /** Ask for {surface, point, learning_rate}. */
  ask(body, context = null) {
    const key = JSON.stringify(body);
    if (key === this.lastKey) {
      this.queued = null;
      return;
    }
    this.queued = { body, key, context };
    if (!this.inFlight) this.next();
  }

  async next() {
    const ask = this.queued;
    if (!ask) return;
    this.queued = null;
    this.inFlight = true;
    this.lastKey = ask.key;
    this.sent += 1;
    try {
      const response = await fetch("/api/v1/surface-point", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: ask.key,
      });
      const answer = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(answer.message ?? `${response.status} ${response.statusText}`);
      this.onAnswer(ask.body, answer, ask.context);
    } catch (error) {
      this.onError(ask.body, error.message, ask.context);
    } finally {
      this.inFlight = false;
      this.next();
    }
  }
}
