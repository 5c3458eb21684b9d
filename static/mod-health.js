// Vote health on the moderator screen: participants who joined in the last minutes, and a notice when the
// per-address bucket refused new participants (a burst from one network), before results go on screen.
import { t } from "./i18n.js";

const REFRESH_MS = 15000;
const box = document.getElementById("mod-health");

async function refresh() {
  const code = box.dataset.code;
  let token = null;
  try {
    token = JSON.parse(sessionStorage.getItem(`floor:moderate:${code}`) || "null");
  } catch {
    token = null;
  }
  if (!token) return;
  try {
    const res = await fetch(`/api/events/${encodeURIComponent(code)}/health`,
      { headers: { Authorization: `Bearer ${token}` } });
    if (!res.ok) return;
    const health = await res.json();
    box.querySelector("[data-joined]").textContent = t("Joined in the last {m} minutes: {n}",
      { m: health.window_minutes, n: health.joined_recently });
    const notice = box.querySelector("[data-refused]");
    notice.hidden = !health.refused_recently;
    notice.textContent = health.refused_recently
      ? t("New participants refused from one network: {n}. Check the votes before showing results.",
        { n: health.refused_recently }) : "";
  } catch {
    // offline: the next refresh tries again
  }
}

if (box) {
  refresh();
  setInterval(refresh, REFRESH_MS);
}
