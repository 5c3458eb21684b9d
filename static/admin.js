// Organiser console: create, list, export and erase events with the admin token.
import { $, api, h, setText, store, takeFragmentToken } from "./ui.js";
import { dateTime, languageName, t } from "./i18n.js";
import { openReport } from "./report-button.js";

function moderationName(mode) {
  return mode === "pre" ? t("approve first") : mode === "post" ? t("show at once") : mode;
}

const TOKEN_KEY = "floor:admin";
const session = store("session");
let token = takeFragmentToken() || session.get(TOKEN_KEY);

const els = {
  needToken: $("#need-token"),
  signedIn: $("#signed-in"),
  signOut: $("#sign-out"),
  tokenForm: $("#token-form"),
  tokenInput: $("#token-input"),
  tokenMsg: $("#token-msg"),
  table: $("#events"),
  body: $("#events-body"),
  empty: $("#events-empty"),
  listMsg: $("#list-msg"),
  createMsg: $("#create-msg"),
  dialog: $("#erase-dialog"),
};

function showSignedIn(on) {
  els.needToken.hidden = on;
  els.signedIn.hidden = !on;
  els.signOut.hidden = !on;
}

async function load() {
  const r = await api("GET", "/api/events", { token });
  if (r.status === 401) {
    session.remove(TOKEN_KEY);
    token = null;
    showSignedIn(false);
    setText(els.tokenMsg, t("That token was not accepted."));
    return;
  }
  if (!r.ok) {
    setText(els.listMsg, r.message);
    return;
  }
  session.set(TOKEN_KEY, token);
  showSignedIn(true);
  const events = [...r.data].sort((a, b) => (b.created_at || "").localeCompare(a.created_at || ""));
  els.body.replaceChildren(...events.map(row));
  els.table.hidden = events.length === 0;
  els.empty.hidden = events.length > 0;
}

function link(href, label) {
  const copy = h("button", { type: "button", class: "btn btn-quiet btn-small a-copy" }, t("Copy"));
  copy.setAttribute("aria-label", t("Copy link: {link}", { link: label }));
  copy.addEventListener("click", () => copyLink(href, copy));
  return h("span", { class: "a-link" }, h("a", { href, target: "_blank", rel: "noopener" }, label), copy);
}

async function copyLink(href, button) {
  let done = false;
  try {
    await navigator.clipboard.writeText(href);
    done = true;
  } catch {
    done = false;
  }
  setText(els.listMsg, done ? t("Copied: {link}", { link: href }) : t("Could not copy; select the link and copy it."));
  button.dataset.copied = String(done);
}

function row(ev) {
  const l = ev.links || {};
  const meta = [moderationName(ev.moderation), ev.questions_open ? t("open") : t("paused"),
    languageName(ev.language), dateTime(ev.created_at)].filter(Boolean).join(" · ");
  return h("tr", {},
    h("td", {}, h("div", { class: "a-title", dir: "auto" }, ev.title),
      h("div", { class: "hint" }, h("span", { dir: "ltr" }, ev.code), " · ", meta)),
    h("td", {}, h("div", { class: "a-links" },
      link(l.attendee, t("Attendee page")), link(l.moderator, t("Moderator")), link(l.presenter, t("Presenter (notes)")),
      link(l.presenter_public, t("Public screen")), link(l.overlay, t("Overlay")),
      h("a", { href: `/e/${encodeURIComponent(ev.code)}/qr.svg`, download: `floor-${ev.code}-qr.svg`,
        class: "btn btn-quiet btn-small" }, t("Download QR code (SVG)")))),
    h("td", {}, h("div", { class: "a-actions" },
      h("button", { type: "button", class: "btn btn-quiet btn-small", onclick: () => download(ev, "json") }, t("Export JSON")),
      h("button", { type: "button", class: "btn btn-quiet btn-small", onclick: () => download(ev, "csv") }, t("Export CSV")),
      h("button", { type: "button", class: "btn btn-quiet btn-small",
        onclick: () => openReport(ev.code, token, (text) => setText(els.listMsg, text)) }, t("Report")),
      h("button", { type: "button", class: "btn btn-quiet btn-small", onclick: (e) => rotate(ev, e.currentTarget) },
        t("New moderator link")),
      h("button", { type: "button", class: "btn btn-quiet btn-small c-danger", onclick: () => confirmErase(ev) }, t("Erase")))));
}

/** Two clicks: the first arms the button, the second replaces the token (old moderator links stop working). */
async function rotate(ev, button) {
  if (button.dataset.armed !== "yes") {
    button.dataset.armed = "yes";
    setText(button, t("Click again: old links stop working"));
    return;
  }
  const r = await api("POST", `/api/events/${encodeURIComponent(ev.code)}/rotate`, { token, body: { which: "moderator" } });
  setText(els.listMsg, r.ok ? t("New moderator link made for “{title}”; the old one no longer works.", { title: ev.title })
    : r.message);
  load();
}

async function download(ev, format) {
  let res;
  try {
    res = await fetch(`/api/events/${encodeURIComponent(ev.code)}/export?format=${format}`,
      { headers: { Authorization: `Bearer ${token}` } });
  } catch {
    setText(els.listMsg, t("No connection. Check your network and try again."));
    return;
  }
  if (!res.ok) {
    const body = await res.json().catch(() => null);
    setText(els.listMsg, t("Export failed ({status}).", { status: res.status }));
    return;
  }
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: `floor-${ev.code}.${format}` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

let erasing = null;
function confirmErase(ev) {
  erasing = ev;
  setText($("#erase-title"), ev.title);
  setText($("#erase-code-shown"), ev.code);
  $("#erase-code").value = "";
  els.dialog.showModal();
  $("#erase-code").focus();
}

els.dialog.addEventListener("close", async () => {
  const ev = erasing;
  erasing = null;
  if (!ev || els.dialog.returnValue !== "erase") return;
  if ($("#erase-code").value.trim().toLowerCase() !== ev.code) {
    setText(els.listMsg, t("The code does not match."));
    return;
  }
  const r = await api("DELETE", `/api/events/${encodeURIComponent(ev.code)}`, { token });
  setText(els.listMsg, r.ok ? t("Erased “{title}”.", { title: ev.title }) : r.message);
  load();
});

$("#create-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const title = $("#ev-title").value.trim();
  if (!title) {
    els.createMsg.dataset.kind = "error";
    setText(els.createMsg, t("Give the event a title."));
    return;
  }
  const body = { title, moderation: $("#ev-moderation").value, language: $("#ev-language").value };
  const code = $("#ev-code").value.trim().toLowerCase();
  if (code) body.code = code;
  const r = await api("POST", "/api/events", { body, token });
  els.createMsg.dataset.kind = r.ok ? "ok" : "error";
  setText(els.createMsg, r.ok ? t("Created. Code: {code}", { code: r.data.code }) : r.message);
  if (r.ok) {
    e.target.reset();
    load();
  }
});

els.tokenForm.addEventListener("submit", (e) => {
  e.preventDefault();
  token = els.tokenInput.value.trim();
  els.tokenInput.value = "";
  if (token) load();
});
els.signOut.addEventListener("click", () => {
  session.remove(TOKEN_KEY);
  token = null;
  els.body.replaceChildren();
  showSignedIn(false);
});
$("#refresh").addEventListener("click", () => {
  setText(els.listMsg, "");
  load();
});

if (token) load();
else showSignedIn(false);
