// The page's language for scripts: the same gettext catalog as the server's. The page says which language, its
// plural rule and where its messages are (#floor-i18n); the messages are an ES module under a versioned URL (the
// page preloads it), cached for a year rather than repeated in every page. English, the source, has none.
// t("...") and nt("one ...", "{n} ...", n) are what Babel extracts; placeholders are {name}.

const FALLBACK = { lang: "en", dir: "ltr", plural: { one: 0, other: 1 }, languages: [], messages: {} };

async function load() {
  const el = document.getElementById("floor-i18n");
  if (!el) return FALLBACK;
  let page;
  try {
    page = { ...FALLBACK, ...JSON.parse(el.textContent) };
  } catch {
    return FALLBACK;
  }
  if (page.messages_url) {
    try {
      page.messages = (await import(page.messages_url)).default;
    } catch {
      page.messages = {}; // they could not load: the scripts speak English rather than not run
    }
  }
  return page;
}

const data = await load();
export const lang = data.lang;
export const dir = data.dir;
/** Every language Floor speaks, each in its own name: [{code, name}]. */
export const LANGUAGES = data.languages;

// Arabic at the UN is written with European digits (as the server writes them too); the rest use the default.
const LOCALE = lang === "ar" ? "ar-u-nu-latn" : lang;
const rules = new Intl.PluralRules(lang);
const numbers = new Intl.NumberFormat(LOCALE);

/** A number in this language's digits and separators. */
export function num(n) {
  return typeof n === "number" && Number.isFinite(n) ? numbers.format(n) : String(n ?? "");
}

/** 66.7 -> "66.7%" (or "66,7 %", "٦٦٫٧٪" ...). */
export function pct(value) {
  return new Intl.NumberFormat(LOCALE, { style: "percent", maximumFractionDigits: 1 }).format((value || 0) / 100);
}

/** An ISO date-time as a short time in the viewer's own zone. */
export function time(iso) {
  const d = iso ? new Date(iso) : null;
  if (!d || Number.isNaN(d.getTime())) return "";
  return new Intl.DateTimeFormat(LOCALE, { hour: "numeric", minute: "2-digit" }).format(d);
}

/** An ISO date-time as a medium date with a short time, in the viewer's own zone. */
export function dateTime(iso) {
  const d = iso ? new Date(iso) : null;
  if (!d || Number.isNaN(d.getTime())) return "";
  return new Intl.DateTimeFormat(LOCALE, { dateStyle: "medium", timeStyle: "short" }).format(d);
}

/** An ISO date-time shown in the event's zone and, when it differs, in the viewer's own: "10:00 GMT+2 (16:00 your time)". */
export function eventTime(iso, timeZone) {
  const d = iso ? new Date(iso) : null;
  if (!d || Number.isNaN(d.getTime())) return "";
  const opts = { weekday: "short", hour: "numeric", minute: "2-digit", timeZoneName: "short" };
  let there;
  try {
    there = new Intl.DateTimeFormat(LOCALE, { ...opts, timeZone: timeZone || "UTC" }).format(d);
  } catch {
    there = new Intl.DateTimeFormat(LOCALE, { ...opts, timeZone: "UTC" }).format(d);
  }
  const here = new Intl.DateTimeFormat(LOCALE, opts).format(d);
  return here === there ? there : t("{event_time} ({local_time} your time)", { event_time: there, local_time: here });
}

/** Seconds as m:ss (or h:mm:ss), with a minus sign once a countdown runs over. */
export function clock(seconds) {
  const s = Math.abs(Math.trunc(seconds));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  const body = hh ? `${hh}:${String(mm).padStart(2, "0")}:${ss}` : `${mm}:${ss}`;
  return seconds < 0 ? `−${body}` : body;
}

/** What is left on a segment timer now ({seconds, remaining, running, since} from the server). */
export function timerLeft(timer, skew = 0) {
  if (!timer) return null;
  if (!timer.running || !timer.since) return timer.remaining;
  return timer.remaining - (Date.now() / 1000 - skew - timer.since);
}

let names = null;
/** A language's name in the page's language ("fr" -> "French" / "французский" ...). */
export function languageName(code) {
  if (!code) return "";
  try {
    names ??= new Intl.DisplayNames([lang], { type: "language" });
    return names.of(code) || code;
  } catch {
    return code;
  }
}

function fill(text, vars) {
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (whole, key) => (key in vars ? (typeof vars[key] === "number"
    ? num(vars[key]) : String(vars[key])) : whole));
}

/** Translate one message; `vars` fill {name} placeholders (numbers are localised). */
export function t(msgid, vars) {
  const s = data.messages[msgid];
  return fill(typeof s === "string" && s ? s : msgid, vars);
}

/** Translate a message whose English is ambiguous: `context` tells translators which meaning ("poll status"). */
export function pt(context, msgid, vars) {
  const s = data.messages[`${context}\u0004${msgid}`];
  return fill(typeof s === "string" && s ? s : msgid, vars);
}

/** Translate a message that depends on a count: picks this language's plural form for n; {n} is filled. */
export function nt(singular, plural, n, vars = {}) {
  const forms = data.messages[singular];
  let s = null;
  if (Array.isArray(forms)) {
    const i = data.plural[rules.select(n)];
    s = forms[i ?? forms.length - 1] || null;
  }
  if (!s) s = n === 1 ? singular : plural;
  return fill(s, { n, ...vars });
}
