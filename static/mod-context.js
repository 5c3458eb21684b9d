// What every moderator panel shares: the event, the token, the live connection, calls to the API and the toast.
// Panels (static/mod-*.js) export mount(ctx) returning { render?(), onEvent?(type, data) }; static/moderator.js
// mounts them in order.
import { $, announcer, api, h, setText, store, takeFragmentToken } from "./ui.js";
import { t } from "./i18n.js";

const page = JSON.parse($("#floor-page").textContent);
const session = store("session");
const TOKEN_KEY = `floor:moderate:${page.code}`;

let toastTimer = null;

export const ctx = {
  page,
  code: page.code,
  base: `/api/events/${encodeURIComponent(page.code)}`,
  session,
  TOKEN_KEY,
  token: null,
  /** The Live connection, set by the entry module once a token is known. */
  live: null,
  say: announcer($("#announcer"), 2500),
  /** Render every panel now (the entry module sets it); schedule() does it on the next frame. */
  render: () => {},
  schedule: () => {},
  /** Called when the server refuses the token (the entry module shows the token form). */
  unauthorized: () => {},

  /** `detail` is the server's own words (English), shown under ours when they say more; stays up at least `seconds`. */
  toast(message, { detail = "", seconds = 6, action = null } = {}) {
    const el = $("#toast");
    const extra = detail && detail !== message
      ? [h("br"), h("span", { class: "c-toast-detail", lang: "en", dir: "auto" }, detail)] : [];
    el.replaceChildren(message, ...extra);
    if (action) {
      const b = h("button", { type: "button", class: "btn btn-small c-toast-action" }, action.label);
      b.addEventListener("click", () => {
        el.hidden = true;
        clearTimeout(toastTimer);
        action.run();
      });
      el.append(" ", b);
    }
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { el.hidden = true; }, Math.max(6, seconds) * 1000);
  },

  /** A refused call, said in the page's language; over a rate limit also the server's reason and how long to wait. */
  refused(r) {
    if (r.status === 429) ctx.toast(r.message, { detail: r.data?.error?.message || "", seconds: r.retryAfter || 0 });
    else ctx.toast(r.message);
  },

  /** An API call on this event with the moderator token; a refusal is shown as a toast. */
  async call(method, path, body) {
    const r = await api(method, `${ctx.base}${path}`, { body, token: ctx.token });
    if (!r.ok) {
      ctx.refused(r);
      if (r.status === 401) ctx.unauthorized(t("That token is not valid for this event."));
    }
    return r;
  },

  /** The same call, the refusal left to the caller (forms show it next to themselves). */
  quiet(method, path, body) {
    return api(method, `${ctx.base}${path}`, { body, token: ctx.token });
  },

  moderate(id, action, extra = {}) {
    return ctx.call("POST", `/questions/${id}/moderate`, { action, ...extra });
  },
};

const fragment = takeFragmentToken();
if (fragment) session.set(TOKEN_KEY, fragment);
ctx.token = fragment || session.get(TOKEN_KEY);

/** Destructive buttons ask once more in place instead of a modal: click again within 4 s. */
export function confirmable(button, label, confirmLabel, run) {
  let armed = null;
  button.addEventListener("click", () => {
    if (armed) {
      clearTimeout(armed);
      armed = null;
      setText(button, label);
      button.classList.remove("is-armed");
      run();
      return;
    }
    setText(button, confirmLabel);
    button.classList.add("is-armed");
    armed = setTimeout(() => {
      armed = null;
      setText(button, label);
      button.classList.remove("is-armed");
    }, 4000);
  });
}

export const byVotes = (a, b) => (b.votes || 0) - (a.votes || 0) || a.id - b.id;
export const byAge = (a, b) => a.id - b.id;
export const byRecent = (a, b) => b.id - a.id;
