// Small DOM and HTTP helpers shared by every screen. User text only ever goes through textContent.
import { nt, t } from "./i18n.js";

/** What people read when the API says no: by the error's code, else by its status (the server speaks English). */
export function errorText(code, status) {
  switch (code) {
    case "questions_closed": return t("Questions are paused by the moderator.");
    case "not_votable": return t("Only approved questions can be upvoted.");
    case "poll_closed": return t("This poll is closed.");
    case "poll_has_answers": return t("A poll that has answers cannot be edited; reset it first.");
    case "too_short": return t("That is too short.");
    case "too_long": return t("That is too long.");
    case "invalid_text": return t("The text contains a character that is not allowed.");
    case "invalid_choices": return t("Check your choices and try again.");
    case "invalid_options": return t("Write 2 to 12 options, one per line.");
    case "invalid_words": return t("Type at least one word.");
    case "invalid_code": return t("Codes are 3 to 32 lowercase letters, digits or dashes.");
    case "code_taken": return t("This event code is already taken.");
    case "merged": return t("This question was merged into another one.");
    case "invalid_transition": return t("This question has changed in the meantime; nothing was done.");
    case "busy": return t("Someone else is changing this right now. Please try again.");
    case "unauthorized": return t("The token is not valid for this event.");
    case "forbidden": return t("You are not allowed to do this.");
    case "not_found": return t("Not found: it may have been deleted.");
    case "rate_limited": return t("Too many requests.");
    case "unavailable": return t("Floor is briefly unavailable. Nothing was changed. Please try again in a moment.");
    default: break;
  }
  if (status === 413) return t("That is too long.");
  if (status === 401) return t("The token is not valid for this event.");
  if (status === 403) return t("You are not allowed to do this.");
  if (status === 404) return t("Not found: it may have been deleted.");
  if (status === 429) return t("Too many requests.");
  if (status >= 500) return t("Floor is briefly unavailable. Nothing was changed. Please try again in a moment.");
  if (status === 409) return t("That conflicts with a change made in the meantime. Please try again.");
  return t("Something went wrong. Please try again.");
}

/** Build an element: h("p", {class: "x", dir: "auto"}, "text", child). Strings become text nodes. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") el.textContent = value;
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key in PROPS) el[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}
const PROPS = { value: 1, checked: 1, disabled: 1, hidden: 1, type: 1 };

function append(el, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Set text only when it changed (cheap re-renders, no needless layout or screen-reader churn). */
export function setText(el, value) {
  const s = value === null || value === undefined ? "" : String(value);
  if (el.textContent !== s) el.textContent = s;
}

/** Mark user text with the language its author gave, so screen readers pronounce it right. */
export function setLang(el, code) {
  if (code) {
    if (el.getAttribute("lang") !== code) el.setAttribute("lang", code);
  } else if (el.hasAttribute("lang")) {
    el.removeAttribute("lang");
  }
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

/** Move `node` to just before `ref`, keeping focus when the browser can (moveBefore). */
export function place(parent, node, ref) {
  if (node.parentNode === parent && node.nextSibling === ref) return;
  if (node === ref) return;
  if (parent.moveBefore && node.isConnected && parent.isConnected) {
    try {
      parent.moveBefore(node, ref);
      return;
    } catch {
      /* fall back */
    }
  }
  parent.insertBefore(node, ref);
}

/** Reorder/insert `nodes` as the exact children of `parent`, touching only what moved. */
export function reconcile(parent, nodes) {
  const wanted = new Set(nodes);
  for (const child of [...parent.children]) if (!wanted.has(child)) child.remove();
  let ref = parent.firstChild;
  for (const node of nodes) {
    if (node === ref) {
      ref = ref.nextSibling;
      continue;
    }
    place(parent, node, ref);
  }
}

/**
 * fetch() with JSON in and out. Never throws: returns {ok, status, data, message, retryAfter, network}.
 * `message` says what went wrong in the page's language (see errorText) for anything that is not ok.
 */
export async function api(method, url, { body, token, timeout = 15000 } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), timeout);
  let res;
  try {
    res = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      signal: ctrl.signal,
    });
  } catch {
    clearTimeout(timer);
    return { ok: false, status: 0, network: true, message: t("No connection. Check your network and try again.") };
  }
  clearTimeout(timer);
  let data = null;
  if (res.status !== 204) {
    try {
      data = await res.json();
    } catch {
      data = null;
    }
  }
  const retryAfter = Number(res.headers.get("Retry-After")) || 0;
  if (res.ok) return { ok: true, status: res.status, data };
  const code = data?.error?.code;
  let message = errorText(code, res.status);
  if (res.status === 429 && retryAfter) {
    const wait = nt("Please wait {n} second before trying again.", "Please wait {n} seconds before trying again.",
      retryAfter);
    message = `${message} ${wait}`;
  }
  return { ok: false, status: res.status, data, message, retryAfter, code };
}

/** One polite live region; messages within `gap` ms are merged so screen readers are never flooded. */
export function announcer(el, gap = 1500) {
  let queue = [];
  let timer = null;
  let last = 0;
  const flush = () => {
    timer = null;
    const msg = [...new Set(queue)].join(" ");
    queue = [];
    last = Date.now();
    el.textContent = "";
    // A fresh text node after clearing makes repeated identical messages announce again.
    requestAnimationFrame(() => {
      el.textContent = msg;
    });
  };
  return (msg) => {
    if (!msg) return;
    queue.push(msg);
    if (timer) return;
    const wait = Math.max(50, gap - (Date.now() - last));
    timer = setTimeout(flush, wait);
  };
}

/** localStorage / sessionStorage that never throws (private mode, quota, disabled storage). */
export function store(kind = "local") {
  const backend = (() => {
    try {
      return kind === "session" ? window.sessionStorage : window.localStorage;
    } catch {
      return null;
    }
  })();
  return {
    get(key, fallback = null) {
      try {
        const raw = backend?.getItem(key);
        return raw === null || raw === undefined ? fallback : JSON.parse(raw);
      } catch {
        return fallback;
      }
    },
    set(key, value) {
      try {
        backend?.setItem(key, JSON.stringify(value));
      } catch {
        /* storage full or disabled: the value just is not remembered */
      }
    },
    remove(key) {
      try {
        backend?.removeItem(key);
      } catch {
        /* ignore */
      }
    },
  };
}

/** Read `#token=...` from the URL fragment once, then strip the fragment from the address bar. */
export function takeFragmentToken() {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!m) return null;
  history.replaceState(null, "", location.pathname + location.search);
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return null;
  }
}

/** Coalesce many state changes into one render per animation frame. */
export function scheduler(render) {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      render();
    });
  };
}

export function randomId() {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Percent with at most one decimal, computed locally so every screen rounds the same way. */
export function percent(count, base) {
  if (!base) return 0;
  return Math.round((1000 * count) / base) / 10;
}

export function prefersReducedMotion() {
  return window.matchMedia?.("(prefers-reduced-motion: reduce)").matches ?? false;
}

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
