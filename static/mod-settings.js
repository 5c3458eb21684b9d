// Moderator event settings: pause/resume new questions, the event language, and the links to every screen.
import { $, copyText, setText } from "./ui.js";
import { t } from "./i18n.js";
import { ctx } from "./mod-context.js";

const els = {
  toggleOpen: $("#toggle-open"),
  openState: $("#open-state"),
};

function renderEvent() {
  const ev = ctx.live.event;
  const open = !!ev.questions_open;
  setText(els.openState, open ? t("Questions are open") : t("Questions are paused"));
  els.openState.dataset.open = String(open);
  setText(els.toggleOpen, open ? t("Pause new questions") : t("Resume new questions"));
  els.toggleOpen.classList.toggle("btn-quiet", open);
  const origin = location.origin;
  if (ev.presenter_token) $("#link-presenter").value = `${origin}/e/${ctx.code}/present#token=${ev.presenter_token}`;
  $("#link-public").value = `${origin}/e/${ctx.code}/present`;
  $("#link-overlay").value = `${origin}/e/${ctx.code}/overlay`;
  const evLang = $("#event-language");
  if (ev.language && document.activeElement !== evLang) evLang.value = ev.language;
}

els.toggleOpen.addEventListener("click", async () => {
  els.toggleOpen.disabled = true;
  await ctx.call("PATCH", "", { questions_open: !ctx.live.event.questions_open });
  els.toggleOpen.disabled = false;
});

$("#event-language").addEventListener("change", async (e) => {
  const select = e.target;
  const r = await ctx.call("PATCH", "", { language: select.value });
  const name = select.selectedOptions[0]?.textContent || select.value;
  setText($("#event-language-msg"), r.ok ? t("Saved: the presenter screen now shows {language}.", { language: name }) : "");
});

for (const b of document.querySelectorAll("[data-copy]")) {
  b.addEventListener("click", async () => {
    const input = document.getElementById(b.dataset.copy);
    const ok = await copyText(input.value);
    if (!ok) input.select();
    setText($("#copy-msg"), ok ? t("Copied.") : t("Copy failed: select the text and copy it."));
  });
}


// -- event settings: every field a moderator may change, applied live and refreshed from other moderators ----

const form = {
  el: $("#settings-form"),
  moderation: $("#set-moderation"),
  timezone: $("#set-timezone"),
  ends: $("#set-ends"),
  retention: $("#set-retention"),
  blocked: $("#set-blocked"),
  policy: $("#set-policy"),
  position: $("#set-overlay-position"),
  theme: $("#set-overlay-theme"),
  chroma: $("#set-overlay-chroma"),
  publicTimer: $("#set-public-timer"),
  msg: $("#settings-msg"),
};
let dirty = false;
form.el.addEventListener("input", () => { dirty = true; });
form.el.addEventListener("change", () => { dirty = true; });

try {
  const zones = Intl.supportedValuesOf?.("timeZone") || [];
  $("#set-timezones").replaceChildren(...zones.map((z) => { const o = document.createElement("option"); o.value = z; return o; }));
} catch {
  /* an older browser: the field still takes any IANA name */
}

/** An ISO instant as the event's wall-clock time, for a datetime-local field. */
function localInput(iso, timeZone) {
  if (!iso) return "";
  try {
    const parts = Object.fromEntries(new Intl.DateTimeFormat("en-CA", { timeZone, hourCycle: "h23", year: "numeric",
      month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" }).formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]));
    return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
  } catch {
    return "";
  }
}

function fill(ev) {
  form.moderation.value = ev.moderation || "pre";
  form.timezone.value = ev.timezone || "UTC";
  form.ends.value = localInput(ev.ends_at, ev.timezone || "UTC");
  form.retention.value = String(ev.retention_days ?? "");
  form.blocked.value = (ev.blocked_words || []).join("\n");
  form.policy.value = ev.policy_text || "";
  form.position.value = ev.overlay_position || "bottom";
  form.theme.value = ev.overlay_theme || "dark";
  form.chroma.value = ev.overlay_chroma || "";
  form.publicTimer.checked = !!ev.public_timer;
}

function settingsBody(ev) {
  const body = {};
  const put = (key, value, was) => { if (JSON.stringify(value) !== JSON.stringify(was)) body[key] = value; };
  put("moderation", form.moderation.value, ev.moderation);
  put("timezone", form.timezone.value.trim(), ev.timezone);
  const ends = form.ends.value || null;
  if (ends !== (localInput(ev.ends_at, ev.timezone || "UTC") || null)) body.ends_at = ends;
  put("retention_days", Number(form.retention.value), ev.retention_days);
  put("blocked_words", form.blocked.value.split("\n").map((w) => w.trim()).filter(Boolean), ev.blocked_words || []);
  put("policy_text", form.policy.value, ev.policy_text || "");
  put("overlay_position", form.position.value, ev.overlay_position || "bottom");
  put("overlay_theme", form.theme.value, ev.overlay_theme || "dark");
  put("overlay_chroma", form.chroma.value || null, ev.overlay_chroma ?? null);
  put("public_timer", form.publicTimer.checked, !!ev.public_timer);
  return body;
}

form.el.addEventListener("submit", async (e) => {
  e.preventDefault();
  const body = settingsBody(ctx.live.event);
  if (!Object.keys(body).length) {
    form.msg.dataset.kind = "ok";
    setText(form.msg, t("Nothing to save."));
    return;
  }
  $("#settings-save").disabled = true;
  const r = await ctx.quiet("PATCH", "", body);
  $("#settings-save").disabled = false;
  if (!r.ok) {
    form.msg.dataset.kind = "error";
    setText(form.msg, r.data?.error?.message ? `${r.message} (${r.data.error.message})` : r.message);
    return;
  }
  dirty = false;
  form.msg.dataset.kind = "ok";
  setText(form.msg, t("Saved: the screens follow now."));
  fill(r.data);
});

let filled = false;
function renderSettings() {
  const ev = ctx.live.event;
  if (!dirty && !form.el.contains(document.activeElement)) fill(ev);
  else if (!filled) fill(ev);
  filled = true;
}

export function mount() {
  return {
    render() {
      renderEvent();
      renderSettings();
    },
  };
}
