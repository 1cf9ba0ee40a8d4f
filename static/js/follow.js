// Follow the teacher: the leader's page publishes its whole view (link, play state, cursor) to a room on
// /ws/v1/follow/lead; each follower's page receives it on /ws/v1/follow/<room> and shows it.
// No DOM here: the lab decides how to show a view and what the follow bar says.

const scheme = () => (location.protocol === "https:" ? "wss:" : "ws:");
const PUBLISH_MS = 30; // a dragged slider publishes at most ~33 views a second; the newest always goes

/** The leader's side. on: {room(id), followers(count), error(message), closed()} */
export class FollowLead {
  constructor(on) {
    this.on = on;
    this.socket = new WebSocket(`${scheme()}//${location.host}/ws/v1/follow/lead`);
    this.pending = null;
    this.timer = 0;
    this.socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "room") this.on.room(message.id);
      else if (message.type === "followers") this.on.followers(message.count);
      else if (message.type === "error") this.on.error(message.message);
    });
    this.socket.addEventListener("close", () => this.on.closed());
  }

  /** Publish `view` ({page, hash, playing, cursor, speed}); bursts are thinned to the newest. */
  publish(view) {
    this.pending = view;
    if (this.timer) return;
    this.flush();
    this.timer = setTimeout(() => {
      this.timer = 0;
      if (this.pending) this.flush();
    }, PUBLISH_MS);
  }

  flush() {
    if (this.socket.readyState !== WebSocket.OPEN || !this.pending) return;
    this.socket.send(JSON.stringify({ type: "view", ...this.pending }));
    this.pending = null;
  }

  close() {
    clearTimeout(this.timer);
    this.socket.close(1000);
  }
}

/** A follower's side. on: {view(view), ended(), error(message)}; reconnects after a dropped line. */
export class FollowClient {
  constructor(room, on) {
    this.room = room;
    this.on = on;
    this.done = false;
    this.retries = 0;
    this.connect();
  }

  connect() {
    const socket = new WebSocket(`${scheme()}//${location.host}/ws/v1/follow/${encodeURIComponent(this.room)}`);
    this.socket = socket;
    socket.addEventListener("open", () => (this.retries = 0));
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "view") this.on.view(message);
      else if (message.type === "ended") this.finish(() => this.on.ended());
      else if (message.type === "error") this.finish(() => this.on.error(message.message));
    });
    socket.addEventListener("close", () => {
      if (this.done || this.socket !== socket) return;
      this.retries += 1;
      if (this.retries > 5) this.finish(() => this.on.ended());
      else setTimeout(() => this.connect(), 500 * this.retries);
    });
  }

  finish(then) {
    if (this.done) return;
    this.done = true;
    this.socket.close(1000);
    then();
  }

  /** Stop following (take over): no more views. */
  close() {
    this.finish(() => {});
  }
}

/** The room named by `?follow=<id>`, or null. */
export function followedRoom(search = location.search) {
  return new URLSearchParams(search).get("follow");
}
