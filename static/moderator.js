// Moderator console entry: mounts each panel (static/mod-*.js) on one live connection. To add a panel, import it
// and add it to PANELS; it exports mount(ctx) returning { render?(), onEvent?(type, data) }.
import { Live, bindIndicator } from "./live.js";
import { $, scheduler, setText } from "./ui.js";
import { nt, t } from "./i18n.js";
import { ctx } from "./mod-context.js";
import * as settings from "./mod-settings.js";
import * as agenda from "./mod-agenda.js";
import * as queue from "./mod-queue.js";
import * as bans from "./mod-bans.js";
import * as polls from "./mod-polls.js";
import * as notes from "./mod-notes.js";
import * as activity from "./mod-activity.js";
import * as languages from "./mod-translations.js";
import * as speakers from "./speakers-chair.js";

// Render order: event header, run of show, questions, bans, polls; notes and activity follow events only.
const PANELS = [settings, agenda, queue, languages, bans, polls, notes, activity, speakers];

const els = {
  console: $("#console"),
  needToken: $("#need-token"),
  tokenForm: $("#token-form"),
  tokenInput: $("#token-input"),
  tokenMsg: $("#token-msg"),
  ended: $("#ended"),
};

const mounted = PANELS.map((panel) => panel.mount(ctx) || {});

function render() {
  const live = ctx.live;
  if (!live || live.viewer?.role !== "moderator") return;
  els.console.hidden = false;
  els.needToken.hidden = true;
  for (const panel of mounted) panel.render?.();
}
ctx.render = render;
const schedule = scheduler(render);
ctx.schedule = schedule;

// -- start ---------------------------------------------------------------------------------------

function showTokenForm(message = "") {
  els.needToken.hidden = false;
  els.console.hidden = true;
  setText(els.tokenMsg, message);
  els.tokenInput.focus();
}
ctx.unauthorized = showTokenForm;

els.tokenForm.addEventListener("submit", (e) => {
  e.preventDefault();
  const value = els.tokenInput.value.trim();
  if (!value) return;
  ctx.token = value;
  ctx.session.set(ctx.TOKEN_KEY, value);
  els.tokenInput.value = "";
  setText(els.tokenMsg, "");
  start();
});

let known = new Set();
let fresh = 0;
let freshTimer = null;

function start() {
  if (ctx.live) {
    ctx.live.setToken(ctx.token);
    return;
  }
  const live = new Live({ code: ctx.code, token: ctx.token });
  ctx.live = live;
  bindIndicator(live, $("#live"), { presenceEl: $("#presence"),
    presenceText: (n) => nt("{n} connected", "{n} connected", n) });
  live.subscribe((type, data) => {
    if (type === "event.deleted") {
      els.console.hidden = true;
      els.ended.hidden = false;
      return;
    }
    if (type === "auth.failed") {
      ctx.session.remove(ctx.TOKEN_KEY);
      ctx.token = null;
      showTokenForm(t("That token is not valid for this event."));
      return;
    }
    if (type === "snapshot") known = new Set([...live.questions.keys()]);
    if (type === "question.created" && data.status === "pending" && !known.has(data.id)) {
      known.add(data.id);
      fresh += 1;
      if (!freshTimer) {
        freshTimer = setTimeout(() => {
          ctx.say(nt("{n} new question waiting.", "{n} new questions waiting.", fresh));
          fresh = 0;
          freshTimer = null;
        }, 3000);
      }
    }
    for (const panel of mounted) panel.onEvent?.(type, data);
    schedule();
  });
  live.start();
}

if (ctx.token) start();
else showTokenForm();
