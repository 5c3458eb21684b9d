// Question language filter for moderators and panellists: every language, one language first, or only one.
import { lang } from "./i18n.js";
import { store } from "./ui.js";

function base(code) {
  return (code || "").toLowerCase().split("-")[0];
}

/** Bind a <select> of "all" | "first" | "only:<code>" (remembered per device under `key`). */
export function languageFilter(select, key, onChange) {
  const local = store("local");
  const saved = local.get(key, "all");
  if ([...select.options].some((o) => o.value === saved)) select.value = saved;
  select.addEventListener("change", () => {
    local.set(key, select.value);
    onChange();
  });
  return {
    /** Keep the list's order, but only one language, or the page's language first. */
    apply(list) {
      const mode = select.value;
      if (mode === "first") {
        const mine = list.filter((q) => base(q.language) === lang);
        return [...mine, ...list.filter((q) => base(q.language) !== lang)];
      }
      if (mode.startsWith("only:")) {
        const only = mode.slice(5);
        return list.filter((q) => base(q.language) === only);
      }
      return list;
    },
  };
}
