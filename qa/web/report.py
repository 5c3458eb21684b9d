"""GET /e/{code}/report: the printable record of an event, server-rendered in its language, every chart an
inline SVG drawn here (no script, readable in black and white)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from qa.domain.errors import NotFound
from qa.domain.model import Event, Question, Role, Status, Viewer
from qa.domain.views import moderation_counts, poll_view
from qa.integrity import BUCKET_SECONDS
from qa.web.identity import require_moderator

MODERATOR = Viewer(Role.MODERATOR, None, backstage=True)
LISTED = (Status.ANSWERED, Status.APPROVED, Status.ARCHIVED)  # pending, rejected and held ones are only counted
BAR_W, BAR_H, LABEL_W = 420, 22, 0


def ordered(questions: list[Question]) -> list[Question]:
    """Answered first, then the rest by votes (then by time asked)."""
    listed = [q for q in questions if q.status in LISTED and not q.held]
    return sorted(listed, key=lambda q: (q.status is not Status.ANSWERED, -q.votes, q.created_at))


def bar_chart(labels: list[str], counts: list[int], title: str) -> Markup:
    """Horizontal bars with their count and share written out: black outline, grey fill, nothing needs colour."""
    total = sum(counts) or 1
    top = max(counts) if counts and max(counts) > 0 else 1
    row = BAR_H * 2 + 8
    height = row * len(labels) + 4
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {BAR_W + 80} {height}" width="100%" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for i, (label, n) in enumerate(zip(labels, counts, strict=True)):
        y = i * row
        width = max(1.0, BAR_W * n / top) if n else 0
        share = round(100 * n / total)
        parts.append(f'<text x="0" y="{y + 15}" class="chart-label">{escape(label)}</text>')
        parts.append(f'<rect x="0" y="{y + 20}" width="{BAR_W}" height="{BAR_H}" class="chart-track"/>')
        if width:
            parts.append(f'<rect x="0" y="{y + 20}" width="{width:.1f}" height="{BAR_H}" class="chart-bar"/>')
        parts.append(f'<text x="{BAR_W + 8}" y="{y + 36}" class="chart-value">{n} ({share}%)</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - our own markup; every label went through escape()


def poll_chart(poll: dict[str, Any]) -> Markup:
    results = poll.get("results") or {}
    if poll["kind"] in ("single", "multiple"):
        return bar_chart(list(poll["options"]), list(results.get("counts", [])), poll["title"])
    if poll["kind"] == "rating":
        counts = list(results.get("counts", []))
        return bar_chart([str(i + 1) for i in range(len(counts))], counts, poll["title"])
    words = results.get("words", [])[:15]
    return bar_chart([w["text"] for w in words], [w["count"] for w in words], poll["title"])


def participation_chart(series: dict[str, dict[int, int]], names: dict[str, str], zone: ZoneInfo) -> Markup | None:
    """Joins, questions and votes per 5 minutes as three small rows of columns (one per kind, each scaled to its
    own peak, the peak written out)."""
    buckets = sorted({b for counts in series.values() for b in counts})
    if not buckets:
        return None
    start, end = buckets[0], buckets[-1]
    slots = list(range(start, end + BUCKET_SECONDS, BUCKET_SECONDS))[-96:]  # at most 8 hours, the latest
    plot = 480.0
    col = plot / max(len(slots), 12)  # a fixed drawing width: a short event gets narrow columns, not huge ones
    row_h, label_h = 50, 16
    width = plot + 20
    kinds = [k for k in ("joins", "questions", "votes") if k in series]
    height = (row_h + label_h + 10) * len(kinds) + 20
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width:.0f} {height}" width="100%" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(" / ".join(names[k] for k in kinds))}</title>']
    for r, kind in enumerate(kinds):
        counts = [series[kind].get(s, 0) for s in slots]
        peak = max(counts) or 1
        y0 = r * (row_h + label_h + 10)
        parts.append(f'<text x="0" y="{y0 + 12}" class="chart-label">{escape(names[kind])}: {sum(counts)}</text>')
        base = y0 + label_h + row_h
        parts.append(f'<line x1="0" y1="{base}" x2="{plot:.0f}" y2="{base}" class="chart-axis"/>')
        for i, n in enumerate(counts):
            if n:
                h = max(1.0, row_h * n / peak)
                parts.append(f'<rect x="{i * col:.1f}" y="{base - h:.1f}" width="{max(1.0, col - 1):.1f}" '
                             f'height="{h:.1f}" class="chart-bar"/>')
    first = datetime.fromtimestamp(slots[0], zone).strftime("%H:%M")
    last = datetime.fromtimestamp(slots[-1] + BUCKET_SECONDS, zone).strftime("%H:%M")
    parts.append(f'<text x="0" y="{height - 4}" class="chart-value">{first}</text>')
    parts.append(f'<text x="{plot:.0f}" y="{height - 4}" text-anchor="end" class="chart-value">{last}</text></svg>')
    return Markup("".join(parts))  # noqa: S704 - our own markup; every label went through escape()


def _zone(event: Event) -> ZoneInfo:
    try:
        return ZoneInfo(event.timezone)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def speakers_section(state: Any) -> list[dict[str, Any]] | None:
    """Speaking time per group, from the list of speakers when this build has one (None otherwise)."""
    speakers = getattr(state, "speakers", None)
    if not speakers:
        return None
    groups: dict[str, dict[str, Any]] = {}
    for s in speakers:
        data = s if isinstance(s, dict) else getattr(s, "__dict__", {})
        if data.get("status") not in ("done", "speaking"):
            continue
        started, ended = data.get("started_at"), data.get("ended_at") or time.time()
        seconds = max(0.0, float(ended) - float(started)) if started else 0.0
        seconds = float(data.get("elapsed") or seconds)
        group = groups.setdefault(str(data.get("group") or "other"), {"group": str(data.get("group") or "other"),
                                                                       "count": 0, "seconds": 0.0})
        group["count"] += 1
        group["seconds"] += seconds
    return sorted(groups.values(), key=lambda g: -g["seconds"])


async def report(request: Request) -> Response:
    from qa.web.pages import _render  # pages owns the language negotiation and the page frame

    store = request.app.state.store
    event = await store.get_event(request.path_params["code"])
    if event is None:
        raise NotFound("There is no event with this code.")
    require_moderator(request.headers, event, request.app.state.settings.admin_token)
    state = await store.state(event.code)
    if state is None:
        raise NotFound("There is no event with this code.")
    zone = _zone(event)
    polls = [poll_view(p, tally, MODERATOR) for p, tally in state.polls]
    activity = await request.app.state.activity.of(event.code)
    if not activity.get("questions"):  # counters began with this build: the questions themselves know when
        for q in state.questions:
            bucket = int(q.created_at // BUCKET_SECONDS) * BUCKET_SECONDS
            activity.setdefault("questions", {})[bucket] = activity["questions"].get(bucket, 0) + 1
    context = {"report_event": event, "code": event.code, "questions": ordered(state.questions),
               "counts": moderation_counts(state.counts), "polls": polls,
               "rejected": sum(q.status is Status.REJECTED or q.held for q in state.questions),
               "generated": datetime.now(UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M"),
               "started": datetime.fromtimestamp(event.created_at, zone).strftime("%Y-%m-%d %H:%M"),
               "zone": str(zone), "activity": activity, "speakers": speakers_section(state),
               "base": request.app.state.settings.public_url or str(request.base_url).rstrip("/")}
    context["participation_chart"] = lambda joins, asked, votes: participation_chart(
        activity, {"joins": str(joins), "questions": str(asked), "votes": str(votes)}, zone)
    context["chart"] = poll_chart
    # the event's language, like a shared screen: the reader's browser says nothing about the record; ?lang= wins
    response = _render(request, "report.html", for_event=event, shared_screen=True, **context)
    response.headers["Cache-Control"] = "no-store, private"
    return response


routes = [Route("/e/{code}/report", report)]
