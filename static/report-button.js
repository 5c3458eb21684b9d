// The "Report" button (moderator and admin screens): fetch the printable report with the token (never in a URL)
// and open it in a new tab from a blob: address; the tab is opened on the click so no popup blocker stops it.
import { t } from "./i18n.js";

export async function openReport(code, token, onError = () => {}) {
  const tab = window.open("", "_blank");
  let res;
  try {
    res = await fetch(`/e/${encodeURIComponent(code)}/report`, { headers: { Authorization: `Bearer ${token}` } });
  } catch {
    tab?.close();
    onError(t("No connection. Check your network and try again."));
    return;
  }
  if (!res.ok) {
    tab?.close();
    onError(t("The report could not be made ({status}).", { status: res.status }));
    return;
  }
  const url = URL.createObjectURL(new Blob([await res.text()], { type: "text/html" }));
  if (tab) tab.location.href = url;
  else window.location.href = url;
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

// The moderator screen: a button with data-report, the token kept in this tab's session by moderator.js.
const button = document.querySelector("[data-report]");
if (button) {
  button.addEventListener("click", () => {
    const code = button.dataset.report;
    let token = null;
    try {
      token = JSON.parse(sessionStorage.getItem(`floor:moderate:${code}`) || "null");
    } catch {
      token = null;
    }
    const msg = document.getElementById("report-msg");
    if (msg) msg.textContent = "";
    openReport(code, token, (text) => { if (msg) msg.textContent = text; });
  });
}
