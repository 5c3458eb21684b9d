// Open moderation counts on the attendee page: the server-rendered panel kept live from the snapshot and
// `moderation.counts` messages.
export function bindCounts(live) {
  const box = document.getElementById("moderation-counts");
  if (!box) return;
  const show = (counts) => {
    if (!counts) return;
    for (const [key, n] of Object.entries(counts)) {
      const cell = box.querySelector(`[data-count="${key}"]`);
      if (cell) cell.textContent = String(n);
    }
    const summary = box.querySelector("[data-summary]");
    if (summary) summary.textContent = `${counts.received} · ${counts.published} · ${counts.answered}`;
  };
  live.subscribe((type, data) => {
    if (type === "snapshot" || type === "moderation.counts") show(live.moderationCounts);
    // opt in on every (re)connection: only sockets that ask get `moderation.counts`
    if (type === "state" && data === "connected" && live.ws?.readyState === WebSocket.OPEN) {
      live.ws.send(JSON.stringify({ type: "counts" }));
    }
  });
}
