// The live connection shared by every screen: one WebSocket per page, applied strictly in seq order,
// resumed from the last seq after any drop, with the state (questions, polls, event, notes) in one store.
import { t } from "./i18n.js";

function stateLabel(state) {
  switch (state) {
    case "connecting": return t("Connecting…");
    case "connected": return t("Live");
    case "reconnecting": return t("Reconnecting…");
    case "storage": return t("Reconnecting to server state…");
    case "offline": return t("Offline — will reconnect");
    case "ended": return t("This event has ended");
    case "unauthorized": return t("Token not accepted");
    default: return state;
  }
}

// Types that advance seq: applied once, in order; anything at or below the last applied seq is a repeat.
const SEQUENCED = new Set([
  "question.created", "question.updated", "question.removed",
  "poll.created", "poll.updated", "poll.removed",
  "event.updated", "note.created", "note.updated",
  "speaker.created", "speaker.updated", "speaker.removed",
]);
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 15000;
// Application heartbeat both ways: after PING_AFTER_MS of silence the page sends {"type":"ping"} and the server
// answers "pong"; nothing heard for DEAD_AFTER_MS means a silently dead socket (a network that swallows bytes,
// a phone moving from Wi-Fi to 4G): drop it and resume from the last seq. Detected within 10 s.
const HEARTBEAT_TICK_MS = 1000;
const PING_AFTER_MS = 3000;
const DEAD_AFTER_MS = 7000;

export class Live {
  /**
   * code: event code. snapshot: the server-rendered snapshot (resume from its seq, no second download).
   * token: moderator or presenter token, sent as {"type":"auth"} after every open.
   */
  constructor({ code, snapshot = null, token = null }) {
    this.code = code;
    this.token = token;
    this.event = null;
    this.viewer = null;
    this.questions = new Map();
    this.polls = new Map();
    this.notes = new Map();
    this.speakers = new Map(); // the list of speakers, by id (static/speakers-common.js orders it)
    this.stats = null;
    this.presence = null;
    this.seq = null;
    this.state = "connecting"; // connecting | connected | reconnecting | storage | offline | ended | unauthorized
    this.storageOk = true;
    this.ws = null;
    this.attempt = 0;
    this.authed = !token;
    this._listeners = new Set();
    this._retryTimer = null;
    this._pingTimer = null;
    this._lastHeard = 0;
    this._ended = false;
    if (snapshot) this._load(snapshot, snapshot.seq);
    this._lastPing = 0;
    addEventListener("online", () => this.reconnectNow());
    // The browser knows first: say "Offline" at once, and drop the socket so that "online" reconnects afresh.
    addEventListener("offline", () => this._wentOffline());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.reconnectNow();
    });
  }

  /** fn(type, data, live) after every applied message and local change; returns an unsubscribe function. */
  subscribe(fn) {
    this._listeners.add(fn);
    return () => this._listeners.delete(fn);
  }

  label() {
    return stateLabel(this.state);
  }

  start() {
    this._connect();
    return this;
  }

  /** Skip the remaining backoff (network came back, tab became visible). */
  reconnectNow() {
    if (this._ended || this.state === "connected" || this.state === "storage") return;
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) return;
    clearTimeout(this._retryTimer);
    this.attempt = 0;
    this._connect();
  }

  _wentOffline() {
    if (this._ended) return;
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.onclose = null;
      ws.close();
    }
    clearInterval(this._pingTimer);
    this._setState("offline");
    this._retry(false);
  }

  /** Use another token (or none) from now on: drop the socket and authenticate afresh. */
  setToken(token) {
    this.token = token || null;
    this.authed = !this.token;
    this._setState("connecting");
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.onclose = null;
      ws.close();
    }
    clearTimeout(this._retryTimer);
    this.attempt = 0;
    this._connect();
  }

  /** Local, optimistic change (own question, own vote, own poll answer); seq untouched. */
  upsertQuestion(q) {
    this.questions.set(q.id, { ...this.questions.get(q.id), ...q });
    this._emit("local", q);
  }

  upsertSpeaker(s) {
    this.speakers.set(s.id, { ...this.speakers.get(s.id), ...s });
    this._emit("local", s);
  }

  upsertPoll(p) {
    const had = this.polls.get(p.id);
    this.polls.set(p.id, { ...had, ...p });
    this._emit("local", p);
  }

  notify(data) {
    this._emit("local", data);
  }

  send(msg) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(msg));
      return true;
    }
    return false;
  }

  // -- connection ------------------------------------------------------------------------------
  _url() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    let url = `${proto}//${location.host}/ws/events/${encodeURIComponent(this.code)}`;
    // With a token the server answers auth with a fresh snapshot anyway, so a replay would be wasted.
    if (this.seq !== null && !this.token) {
      url += `?since=${this.seq}`;
      // A different epoch means another log (e.g. storage restored empty): the server answers with a snapshot.
      const epoch = this.event?.epoch;
      if (epoch) url += `&epoch=${encodeURIComponent(epoch)}`;
    }
    return url;
  }

  _connect() {
    if (this._ended) return;
    clearTimeout(this._retryTimer);
    let ws;
    try {
      ws = new WebSocket(this._url());
    } catch {
      this._retry(false);
      return;
    }
    this.ws = ws;
    let opened = false;
    // A handshake that hangs (the same swallowing network) is given up and retried.
    const handshake = setTimeout(() => {
      if (opened || ws !== this.ws) return;
      this.ws = null;
      ws.onclose = null;
      ws.close();
      this._retry(false);
    }, DEAD_AFTER_MS);
    ws.onopen = () => {
      opened = true;
      clearTimeout(handshake);
      this._lastHeard = Date.now();
      if (this.token) {
        this.authed = false;
        ws.send(JSON.stringify({ type: "auth", token: this.token }));
      } else {
        this._setState(this.storageOk ? "connected" : "storage");
      }
      this._heartbeat(ws);
    };
    ws.onmessage = (e) => {
      if (ws !== this.ws) return;
      this._lastHeard = Date.now();
      this.attempt = 0;
      let msg;
      try {
        msg = JSON.parse(e.data);
      } catch {
        return;
      }
      if (msg && typeof msg.type === "string") this._receive(msg);
    };
    ws.onclose = (e) => {
      if (ws !== this.ws) return;
      this.ws = null;
      clearInterval(this._pingTimer);
      if (e.code === 1000 && /deleted|not found/i.test(e.reason || "")) {
        this._end();
        return;
      }
      this._retry(!opened);
    };
  }

  _heartbeat(ws) {
    clearInterval(this._pingTimer);
    this._pingTimer = setInterval(() => {
      if (ws !== this.ws) return;
      const now = Date.now();
      if (now - this._lastHeard > DEAD_AFTER_MS) {
        // A half-open connection (phone changed network): drop it and resume elsewhere.
        this.ws = null;
        ws.onclose = null;
        ws.close();
        clearInterval(this._pingTimer);
        this._retry(false);
        return;
      }
      if (now - this._lastHeard >= PING_AFTER_MS && now - this._lastPing >= PING_AFTER_MS) {
        this._lastPing = now;
        this.send({ type: "ping" });
      }
    }, HEARTBEAT_TICK_MS);
  }

  async _retry(neverOpened) {
    if (this._ended) return;
    this._setState(navigator.onLine === false ? "offline" : "reconnecting");
    if (neverOpened && this.attempt >= 2 && (await this._eventGone())) {
      this._end();
      return;
    }
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** this.attempt);
    const delay = ceiling / 2 + Math.random() * (ceiling / 2); // jitter: a whole hall must not reconnect at once
    this.attempt += 1;
    clearTimeout(this._retryTimer);
    this._retryTimer = setTimeout(() => this._connect(), delay);
  }

  async _eventGone() {
    try {
      const res = await fetch(`/api/events/${encodeURIComponent(this.code)}`, { credentials: "same-origin" });
      return res.status === 404;
    } catch {
      return false;
    }
  }

  _end() {
    this._ended = true;
    clearTimeout(this._retryTimer);
    clearInterval(this._pingTimer);
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.onclose = null;
      ws.close();
    }
    this._setState("ended");
    this._emit("event.deleted", { code: this.code });
  }

  _setState(state) {
    if (this.state === state) return;
    this.state = state;
    this._emit("state", state);
  }

  // -- messages --------------------------------------------------------------------------------
  _receive({ type, seq, data }) {
    if (type === "error") {
      if (this.token && !this.authed && data?.code === "unauthorized") {
        this.token = null;
        this.authed = true;
        this._setState("unauthorized");
        this._emit("auth.failed", data);
        this.send({ type: "resync" }); // carry on with the public view
        return;
      }
      this._emit("error", data);
      return;
    }
    if (type === "status") {
      this.storageOk = data?.storage !== "unavailable";
      if (this.state !== "unauthorized") this._setState(this.storageOk ? "connected" : "storage");
      this._emit(type, data);
      return;
    }
    if (type === "event.deleted") {
      this._end();
      return;
    }
    if (!this.authed) {
      // Until the server answers our auth, frames are shaped for an attendee: not ours to apply.
      if (type !== "snapshot" || data?.viewer?.role === "attendee") return;
      this.authed = true;
    }
    switch (type) {
      case "snapshot":
        this._load(data, seq);
        if (this.state !== "unauthorized") this._setState(this.storageOk ? "connected" : "storage");
        break;
      case "votes":
        for (const [id, n] of Object.entries(data?.counts || {})) {
          const q = this.questions.get(Number(id));
          if (q) q.votes = n;
        }
        break;
      case "poll.results": {
        const had = this.polls.get(data.id);
        if (!had) return;
        this.polls.set(data.id, { ...had, ...data, my_answer: had.my_answer });
        break;
      }
      case "presence":
        this.presence = data?.count ?? null;
        break;
      case "moderation.counts":
        this.moderationCounts = data;
        break;
      case "pong":
        return;
      default:
        if (!SEQUENCED.has(type)) return;
        if (this.seq !== null && typeof seq === "number" && seq <= this.seq) return; // already applied
        if (typeof seq === "number") this.seq = seq;
        this._apply(type, data);
    }
    this._emit(type, data);
  }

  _apply(type, data) {
    switch (type) {
      case "question.created":
      case "question.updated": {
        this.questions.set(data.id, data);
        break;
      }
      case "question.removed":
        this.questions.delete(data.id);
        break;
      case "poll.created":
      case "poll.updated": {
        const had = this.polls.get(data.id);
        // Live poll frames never carry my_answer: keep ours, unless the poll was reset (its round moved on).
        const reset = had && data.round !== had.round;
        const mine = data.my_answer ?? (reset ? null : had?.my_answer ?? null);
        this.polls.set(data.id, { ...data, my_answer: mine });
        break;
      }
      case "poll.removed":
        this.polls.delete(data.id);
        break;
      case "event.updated":
        this.event = { ...this.event, ...data };
        break;
      case "note.created":
      case "note.updated":
        this.notes.set(data.id, data);
        break;
      case "speaker.created":
      case "speaker.updated":
        this.speakers.set(data.id, data);
        break;
      case "speaker.removed":
        this.speakers.delete(data.id);
        break;
    }
  }

  _load(snap, seq) {
    this.event = snap.event;
    this.viewer = snap.viewer || null;
    this.seq = typeof seq === "number" ? seq : snap.seq;
    this.questions = new Map((snap.questions || []).map((q) => [q.id, q]));
    this.polls = new Map((snap.polls || []).map((p) => [p.id, p]));
    this.notes = new Map((snap.notes || []).map((n) => [n.id, n]));
    this.speakers = new Map((snap.speakers || []).map((s) => [s.id, s]));
    this.stats = snap.stats || null;
    this.moderationCounts = snap.moderation_counts || null;
  }

  _emit(type, data) {
    for (const fn of this._listeners) {
      try {
        fn(type, data, this);
      } catch (err) {
        console.error(err);
      }
    }
  }
}

/** Keep a live indicator element in step: data-state for styling, its text for everyone. */
export function bindIndicator(live, el, { presenceEl = null, presenceText = null } = {}) {
  const label = el.querySelector("[data-label]") || el;
  const update = () => {
    el.dataset.state = live.state;
    if (label.textContent !== live.label()) label.textContent = live.label();
    if (presenceEl && presenceText && live.presence !== null) {
      const t = presenceText(live.presence);
      if (presenceEl.textContent !== t) presenceEl.textContent = t;
    }
  };
  live.subscribe((type) => {
    if (type === "state" || type === "presence" || type === "snapshot") update();
  });
  update();
}
