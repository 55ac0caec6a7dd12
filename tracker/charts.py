"""The timeline chart, drawn as SVG on the server (no JavaScript, no CDN).

Two step lines: cumulative signatories and instruments counted toward entry into force,
with the threshold as a dashed line and the signature deadline and the date of entry
into force marked. The SVG carries a title and a description in words, and the page
shows the same points as a table for those who cannot see the chart.
"""

from datetime import date, timedelta

from django.utils.html import escape
from django.utils.safestring import mark_safe

from tracker.snapshots import Snapshot

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 40
SIGNATORIES_COLOR, INSTRUMENTS_COLOR, MARK_COLOR = "#1f4e8c", "#b35900", "#444444"


BEFORE, AFTER = timedelta(days=7), timedelta(days=14)  # margins either side of the dates shown


def chart_span(snap: Snapshot) -> tuple[date, date]:
    """From the opening for signature (or the first action) to the last date worth showing.

    The margins stop at the ends of the calendar (date.min, date.max) rather than overflow.
    """
    treaty, status = snap.treaty, snap.status
    days = [p.day for p in snap.timeline]
    start = treaty.signature_opens_on or (days[0] if days else snap.as_of)
    start = min([start, *days])
    ends = [snap.as_of, treaty.signature_closes_on, status.entry_into_force_on]
    end = max(day for day in ends if day)
    start = start - BEFORE if start >= date.min + BEFORE else date.min
    end = end + AFTER if end <= date.max - AFTER else date.max
    return start, end


# Months between two labels of the time axis: a quarter for a span of a few years, then
# whole years, decades and centuries, so that a long span never needs more than LABELS.
LABEL_STEPS = (3, 6, 12, 24, 60, 120, 240, 600, 1200, 2400, 6000, 12000)
LABELS = 12


def axis_months(start: date, end: date) -> list[date]:
    """The first days of the months that get a label between ``start`` and ``end``."""
    first = start.year * 12 + start.month - 1  # months since year 0; January is 0
    if start.day > 1:
        first += 1
    last = end.year * 12 + end.month - 1
    step = next((step for step in LABEL_STEPS if (last - first) // step < LABELS), LABEL_STEPS[-1])
    first += -first % step  # a multiple of the step: January, April, July, October, or a January
    return [date(index // 12, index % 12 + 1, 1) for index in range(first, last + 1, step)]


def timeline_svg(snap: Snapshot) -> str:
    """The chart of ``snap`` as inline SVG markup."""
    start, end = chart_span(snap)
    # Without a rule there is no threshold: the counts alone set the scale.
    values = [snap.status.threshold or 0, *(max(p.signatories, p.instruments_counted) for p in snap.timeline)]
    top_value = max(max(values), 1) * 1.1

    def x(day: date) -> float:
        return LEFT + (day - start).days / max((end - start).days, 1) * (WIDTH - LEFT - RIGHT)

    def y(value: float) -> float:
        return TOP + (1 - value / top_value) * (HEIGHT - TOP - BOTTOM)

    parts = [axes(start, end, top_value, x, y)]
    parts.append(step_line(snap, "signatories", SIGNATORIES_COLOR, x, y))
    parts.append(step_line(snap, "instruments_counted", INSTRUMENTS_COLOR, x, y))
    threshold = snap.status.threshold
    if threshold:
        parts.append(
            f'<line class="threshold" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(threshold):.1f}" y2="{y(threshold):.1f}" '
            f'stroke="{INSTRUMENTS_COLOR}" stroke-dasharray="6 4"/>'
            f'<text x="{WIDTH - RIGHT - 4}" y="{y(threshold) - 6:.1f}" text-anchor="end">Threshold: {threshold}</text>'
        )
    for day, label in marks(snap):
        parts.append(
            f'<line class="mark" x1="{x(day):.1f}" x2="{x(day):.1f}" y1="{TOP}" y2="{HEIGHT - BOTTOM}" '
            f'stroke="{MARK_COLOR}" stroke-dasharray="2 3"/>'
            f'<text x="{x(day) - 4:.1f}" y="{TOP + 12}" text-anchor="end">{escape(label)}</text>'
        )
    return mark_safe(
        f'<svg class="timeline-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="timeline-title timeline-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="timeline-title">Signatures and instruments over time</title>'
        f'<desc id="timeline-desc">{escape(describe(snap))}</desc>{"".join(parts)}{legend()}</svg>'
    )


def step_line(snap: Snapshot, attribute: str, color: str, x, y) -> str:
    """A cumulative count as a step line from the chart's start to ``as_of``."""
    start, _ = chart_span(snap)
    points, value = [(x(start), y(0))], 0
    for point in snap.timeline:
        points.append((x(point.day), y(value)))
        value = getattr(point, attribute)
        points.append((x(point.day), y(value)))
    points.append((x(snap.as_of), y(value)))
    path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
    return f'<polyline class="series-{attribute}" fill="none" stroke="{color}" stroke-width="2.5" points="{path}"/>'


def axes(start: date, end: date, top_value: float, x, y) -> str:
    """The axes, with a label at the start of each quarter (or year, decade… for a long
    span) and a few value ticks."""
    parts = [
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{HEIGHT - BOTTOM}" y2="{HEIGHT - BOTTOM}" stroke="#333"/>',
        f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{HEIGHT - BOTTOM}" stroke="#333"/>',
    ]
    for month in axis_months(start, end):
        parts.append(
            f'<text x="{x(month):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{month:%b} {month.year}</text>'
        )
    step = 10 if top_value <= 60 else 20 if top_value <= 120 else 50 if top_value <= 300 else 100
    for value in range(0, int(top_value) + 1, step):
        parts.append(f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end">{value}</text>')
    return "".join(parts)


def marks(snap: Snapshot) -> list[tuple[date, str]]:
    found = []
    if snap.treaty.signature_closes_on:
        found.append((snap.treaty.signature_closes_on, "Signature deadline"))
    if snap.status.entry_into_force_on:
        found.append((snap.status.entry_into_force_on, "Entry into force"))
    return found


def legend() -> str:
    items = [("Signatories", SIGNATORIES_COLOR), ("Instruments counted", INSTRUMENTS_COLOR)]
    parts = []
    for number, (label, color) in enumerate(items):
        left = LEFT + 10 + number * 190
        parts.append(
            f'<line x1="{left}" x2="{left + 24}" y1="{HEIGHT - 8}" y2="{HEIGHT - 8}" stroke="{color}" stroke-width="2.5"/>'
            f'<text x="{left + 30}" y="{HEIGHT - 4}">{label}</text>'
        )
    return "".join(parts)


def describe(snap: Snapshot) -> str:
    """The chart in words."""
    status = snap.status
    if status.threshold:
        text = (
            f"As of {snap.as_of}: {status.signatories} signatories and {status.instruments_counted} of "
            f"{status.threshold} instruments counted toward entry into force."
        )
    else:
        text = (
            f"As of {snap.as_of}: {status.signatories} signatories and {status.instruments_counted} "
            "instruments in effect (no rule of entry into force is recorded, so no threshold)."
        )
    if snap.treaty.signature_closes_on:
        text += f" Signature deadline: {snap.treaty.signature_closes_on}."
    if status.entry_into_force_on:
        text += f" Entry into force: {status.entry_into_force_on}."
    return text
