// The surface lab's side of "follow the teacher": the leader's Share-live dialog, and a follower's bar
// with its Take-over button. The lab supplies its view (currentView) and shows another one (showView).

import { el, setChildren } from "../dom.js";
import { onLanguageChange, setText, t } from "../i18n.js";
import { FollowClient, FollowLead } from "../follow.js";
import { normalizeState, parseHash, serializeState, surfaceSpec, toSpec } from "../state.js";
import { renderAbout } from "./about.js";

/** Lead a room from the header's Share-live button; `lab.publishView` is called on every change. */
export function bindShareLive(lab, button) {
  let lead = null;
  let count = 0;
  let link = "";
  const dialog = el("dialog", { class: "embed-dialog follow-dialog", id: "follow-dialog", "aria-labelledby": "follow-title" });
  document.body.append(dialog);

  const render = () => {
    const input = el("input", { type: "text", class: "embed-snippet", id: "follow-link", readonly: true, value: link || t("follow.connecting"), "aria-label": t("follow.link") });
    setChildren(
      dialog,
      el("h2", { id: "follow-title" }, t("follow.title")),
      el("p", {}, t("follow.help")),
      input,
      el("p", { class: "follow-count", role: "status" }, t("follow.count", { n: count })),
      el(
        "div",
        { class: "embed-actions" },
        el("button", { type: "button", class: "button", on: { click: stop } }, t("follow.stop")),
        el("button", { type: "button", class: "button primary", on: { click: () => dialog.close() } }, t("share.close")),
      ),
    );
  };
  const label = () => (lead ? setText(button, "follow.live", { n: count }) : setText(button, "follow.share"));
  const stop = () => {
    lead?.close();
    lead = null;
    lab.leader = null;
    link = "";
    count = 0;
    button.setAttribute("aria-pressed", "false");
    label();
    dialog.close();
  };

  button.addEventListener("click", () => {
    if (!lead) {
      lead = new FollowLead({
        room: (id) => {
          link = `${location.origin}/?follow=${encodeURIComponent(id)}`;
          lab.leader = lead;
          lab.publishView();
          render();
        },
        followers: (n) => {
          count = n;
          label();
          if (dialog.open) render();
        },
        error: (message) => lab.banner.show("follow", "error", "follow.lost", { message }, { timeout: 12000 }),
        closed: () => lead && stop(),
      });
      button.setAttribute("aria-pressed", "true");
      label();
    }
    render();
    dialog.showModal();
  });
  onLanguageChange(() => {
    label();
    if (dialog.open) render();
  });
}

/** Follow room `room`: show each view the teacher publishes until the student takes over or it ends. */
export function followRoom(lab, room) {
  const main = document.getElementById("content");
  const text = el("span", { class: "follow-text" });
  const takeOver = el("button", { type: "button", class: "button primary small", id: "take-over" });
  const bar = el("div", { class: "follow-bar", role: "status" }, el("span", { class: "live-dot", "aria-hidden": "true" }), text, takeOver);
  main.prepend(bar);
  setText(text, "follow.following");
  setText(takeOver, "follow.takeOver");
  lab.setReadOnly(true);

  const release = (key) => {
    client.close();
    lab.setReadOnly(false);
    setText(text, key);
    takeOver.remove();
    bar.classList.add("released");
    const params = new URLSearchParams(location.search);
    params.delete("follow");
    const query = params.toString();
    history.replaceState(null, "", `${location.pathname}${query ? `?${query}` : ""}${location.hash}`);
  };
  const client = new FollowClient(room, {
    view: (view) => lab.showView(view),
    ended: () => release("follow.ended"),
    error: (message) => {
      release("follow.taken");
      lab.banner.show("follow", "error", "follow.lost", { message }, { timeout: 12000 });
    },
  });
  takeOver.addEventListener("click", () => release("follow.taken"));
  return client;
}

/** The whole view as followers get it: the link (no cursor, lesson or hidden sections) and the player. */
export function publishView(lab) {
  const hash = serializeState({ ...lab.state, cursor: undefined, lesson: null, pick: null, hide: [] });
  const view = { page: "surface", hash, playing: lab.player.playing, cursor: lab.state.cursor, speed: lab.state.speed };
  const key = JSON.stringify([hash, view.playing, view.speed]);
  // while playing, followers play on their own: the cursor alone is news only when paused (a step, a scrub)
  if (key === lab.published?.key && (view.playing || view.cursor === lab.published.cursor)) return;
  lab.published = { key, cursor: view.cursor };
  lab.leader.publish(view);
}

/** Show the teacher's view: the state replaced in place (the controls hold it), rebuilt, restarted. */
export function showView(lab, view) {
  if (view.hash !== lab.followed?.hash) {
    const { state: partial } = parseHash(`#${view.hash}`);
    const next = normalizeState({ ...partial, speed: view.speed, lang: lab.state.lang, hide: lab.state.hide }, lab.catalog);
    const sameSurface = JSON.stringify(surfaceSpec(next)) === JSON.stringify(surfaceSpec(lab.state));
    Object.assign(lab.state, next, { lesson: null, pick: null, cursor: 0 });
    lab.surfacePanel.build();
    lab.runList.rebuild();
    lab.player.setSteps(next.steps);
    lab.contour.setStart(next.start);
    if (!sameSurface) {
      renderAbout(document.getElementById("about"), lab.surface);
      lab.loadGrid(lab.surfaceSpec());
    }
    lab.setBusy(true);
    lab.session.start(toSpec(lab.state), false);
    lab.saveHash();
  }
  lab.followed = view;
  syncPlayer(lab, view);
}

/** Play, pause and the cursor as the teacher has them. */
export function syncPlayer(lab, view) {
  lab.session.speed(view.speed);
  lab.player.setSpeed(view.speed);
  lab.session.seek(view.cursor);
  lab.setCursor(view.cursor);
  if (view.playing) lab.session.resume();
  lab.player.setPlaying(view.playing);
}
