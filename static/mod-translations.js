// Moderator console, languages (issue 14): on each question card the detected language (correctable) and the
// reviewed translations (add, replace, remove); as a panel, the "up next" list, the shared screens' translation
// language and the booth link. The card always shows the original first; translations sit under it.
import { LANGUAGES, languageName, t } from "./i18n.js";
import { $, h, setLang, setText } from "./ui.js";
import { ctx } from "./mod-context.js";

const CODES = LANGUAGES.map((l) => l.code);

const call = (method, path, body) => ctx.call(method, path, body);
const current = () => ctx.live;

/** The languages part of question `id`'s card (mod-queue.js places `el` and calls update(question)). */
export function questionExtras(id) {
  const list = h("ul", { class: "c-tr-list" });
  const langSelect = h("select", { class: "c-tr-lang", "aria-label": t("Translate into") },
    ...CODES.map((c) => h("option", { value: c, lang: c }, languageName(c))));
  const area = h("textarea", { class: "c-tr-text", rows: 2, maxlength: 500, dir: "auto",
    "aria-label": t("Translation") });
  const save = h("button", { type: "submit", class: "btn btn-small" }, t("Save translation"));
  const form = h("form", { class: "c-tr-form" }, langSelect, area, save);
  const detected = h("select", { class: "c-tr-detected", "aria-label": t("Language of the question") },
    ...CODES.map((c) => h("option", { value: c, lang: c }, languageName(c))));
  const lineUp = h("button", { type: "button", class: "btn btn-small btn-quiet c-upnext-toggle" });
  const summary = h("summary", { class: "btn btn-quiet btn-small" });
  const el = h("details", { class: "c-tr" }, summary,
    h("div", { class: "c-tr-body" }, h("label", { class: "c-tr-detected-label" }, t("Language of the question"),
      " ", detected), list, form), lineUp);
  let question = null;

  langSelect.addEventListener("change", () => {
    area.value = question?.translations?.[langSelect.value] || "";
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = area.value.trim();
    if (text.length < 2) {
      area.setAttribute("aria-invalid", "true");
      area.focus();
      return;
    }
    area.removeAttribute("aria-invalid");
    const r = await call("POST", `/questions/${id}/translations`, { language: langSelect.value, text });
    if (r.ok) area.value = "";
  });
  detected.addEventListener("change", () => {
    call("POST", `/questions/${id}/moderate`, { action: "language", language: detected.value });
  });
  lineUp.addEventListener("click", () => {
    const upNext = current().event.up_next || [];
    const next = upNext.includes(id) ? upNext.filter((x) => x !== id) : [...upNext, id];
    call("PATCH", "", { up_next: next });
  });

  function update(q) {
    question = q;
    const entries = Object.entries(q.translations || {});
    setText(summary, entries.length ? t("Translations ({n})", { n: entries.length }) : t("Translate"));
    list.replaceChildren(...entries.map(([code, text]) => {
      const body = h("span", { class: "c-tr-item-text user-text", dir: "auto" }, text);
      setLang(body, code);
      const remove = h("button", { type: "button", class: "btn btn-small btn-quiet" }, t("Remove"));
      remove.addEventListener("click", () => call("POST", `/questions/${id}/translations`,
        { language: code, text: null }));
      return h("li", { class: "c-tr-item" }, h("span", { class: "badge" }, languageName(code)), " ", body, " ", remove);
    }));
    const base = (q.language || "").split("-")[0];
    if (document.activeElement !== detected) detected.value = CODES.includes(base) ? base : "";
    const upNext = current().event.up_next || [];
    const lined = upNext.includes(q.id);
    lineUp.hidden = !(q.status === "approved" && !q.highlighted) && !lined;
    setText(lineUp, lined ? t("Take off up next") : t("Line up next"));
    lineUp.setAttribute("aria-pressed", lined ? "true" : "false");
  }
  return { el, update };
}

/** The panel: the "up next" list (reorder, take off), the shared screens' translation language, the booth link. */
export function mount() {
  const root = $("#up-next-box");
  const list = root.querySelector("#up-next-list");
  const empty = root.querySelector("#up-next-empty");
  const screen = root.querySelector("#screen-translation");
  screen.addEventListener("change", () => call("PATCH", "", { screen_translation: screen.value || null }));

  function move(ids, from, to) {
    const next = [...ids];
    const [id] = next.splice(from, 1);
    next.splice(to, 0, id);
    call("PATCH", "", { up_next: next });
  }

  function render() {
    const { questions, event } = current();
    const ids = event.up_next || [];
    list.replaceChildren(...ids.map((id, i) => {
      const q = questions.get(id);
      const text = h("span", { class: "c-upnext-text user-text", dir: "auto" }, q ? q.text : `#${id}`);
      setLang(text, q?.language);
      const up = h("button", { type: "button", class: "btn btn-small btn-quiet", disabled: i === 0,
        "aria-label": t("Move up") }, h("span", { "aria-hidden": "true" }, "↑"));
      const down = h("button", { type: "button", class: "btn btn-small btn-quiet", disabled: i === ids.length - 1,
        "aria-label": t("Move down") }, h("span", { "aria-hidden": "true" }, "↓"));
      const off = h("button", { type: "button", class: "btn btn-small btn-quiet" }, t("Take off up next"));
      up.addEventListener("click", () => move(ids, i, i - 1));
      down.addEventListener("click", () => move(ids, i, i + 1));
      off.addEventListener("click", () => call("PATCH", "", { up_next: ids.filter((x) => x !== id) }));
      return h("li", { class: "c-upnext-item", "data-qid": id }, text, h("span", { class: "row" }, up, down, off));
    }));
    empty.hidden = ids.length > 0;
    if (document.activeElement !== screen) screen.value = event.screen_translation || "";
    if (event.presenter_token) $("#link-booth").value = `${location.origin}/e/${ctx.code}/booth#token=${event.presenter_token}`;
  }
  return { render };
}
