// Reviewed translations of questions: which text a viewer sees, the "Translated from Arabic" line with the
// original one tap away, and the original + translation pair the shared screens show side by side.
import { lang as pageLang, languageName, t } from "./i18n.js";
import { h, setLang, setText } from "./ui.js";

function base(code) {
  return (code || "").toLowerCase().split("-")[0];
}

/**
 * The text `question` shows a viewer reading `viewerLang`: its reviewed translation into that language when one
 * exists (and the question is not already in it), else the original. `from` is the original's language when a
 * translation is shown ("und" when unknown), else null.
 */
export function shownText(question, viewerLang = pageLang) {
  const wanted = base(viewerLang);
  const translated = question?.translations?.[wanted];
  if (translated && base(question.language) !== wanted) return { text: translated, from: question.language || "und" };
  return { text: question?.text ?? "", from: null };
}

/** "Translated from Arabic", in the page's language. */
export function translatedFrom(code) {
  return code && code !== "und" ? t("Translated from {language}", { language: languageName(base(code)) })
    : t("Translated");
}

/** The original and, when the screen shows one, its translation into `screenLang` (null: none or same language). */
export function screenPair(question, screenLang) {
  const original = { text: question.text, lang: question.language || null };
  const wanted = base(screenLang);
  const text = wanted ? question.translations?.[wanted] : null;
  return { original, translation: text && base(question.language) !== wanted ? { text, lang: wanted } : null };
}

/** A "Translated from …" line with a button that shows the original (and back); place `note.el` after the text. */
export function translationNote() {
  const label = h("span", { class: "tr-from" });
  const button = h("button", { type: "button", class: "tr-toggle", "aria-pressed": "false" });
  const el = h("p", { class: "tr-note", hidden: true }, label, " ", button);
  const note = { el, label, button, original: false, redraw: null };
  button.addEventListener("click", () => {
    note.original = !note.original;
    note.redraw?.();
  });
  return note;
}

/** Show `question` in `textEl` as this viewer should see it, keeping `note` (from translationNote) in step. */
export function showQuestion(textEl, note, question, viewerLang = pageLang) {
  const shown = shownText(question, viewerLang);
  const original = note.original && shown.from !== null;
  setText(textEl, original || shown.from === null ? question.text : shown.text);
  setLang(textEl, original || shown.from === null ? question.language : base(viewerLang));
  note.el.hidden = shown.from === null;
  if (shown.from !== null) {
    setText(note.label, original ? "" : translatedFrom(shown.from));
    setText(note.button, original ? t("Show translation") : t("Show original"));
    note.button.setAttribute("aria-pressed", original ? "true" : "false");
  }
  note.redraw = () => showQuestion(textEl, note, question, viewerLang);
}
