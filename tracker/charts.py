"""The timeline chart, drawn as SVG on the server (no JavaScript, no CDN).

Two panels on one time axis. The upper one holds the instruments counted toward entry
into force, on a scale that always reaches the threshold, so the gap between the two is
what the eye sees; the lower one holds the signatories on a scale of their own (dozens of
signatures beside a handful of instruments would otherwise flatten the story that
matters). The signature deadline and the date of entry into force, actual or projected,
are labelled vertical markers across both. A day after today is drawn as a projection
from today's records.

Under the site's Content-Security-Policy the chart has no style attribute: classes,
styled by the one constant <style> below (allowed by its hash, tracker.middleware), with
the status colours of palette.css. The SVG carries a title and a description in words,
and the page shows the same points as a table.
"""

import math
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from tracker import wording
from tracker.snapshots import Snapshot

WIDTH, HEIGHT = 720, 350
LEFT, RIGHT = 52, 24
# The rows of the markers' labels, above the panels, so that no label sits on a line.
LABEL_ROWS = (14, 29)
LABEL_CHARACTER = 6.6  # the width of a character of the labels, near enough
AXIS_Y = 336  # the baseline of the time axis's labels


@dataclass(frozen=True)
class Panel:
    """A band of the chart: its title's baseline and its plot's top and bottom."""

    title_y: int
    top: int
    bottom: int


INSTRUMENTS = Panel(title_y=54, top=64, bottom=192)
SIGNATORIES = Panel(title_y=222, top=232, bottom=318)

# One constant stylesheet, hashed for the CSP: a chart's own figures never go in it. A
# <style> in inline SVG applies to the whole page, hence every selector is scoped. The
# signatories' colour is light on white, so their line is thick, over a tinted area. Below
# 32rem the chart keeps its size and scrolls in its box (tracker/_timeline.html): shrunk
# to a phone's width, its labels could not be read. On a narrow screen the box is right-to-left so
# that it opens on the chart's right end, where today, the gap and the deadline are.
STYLE = (
    ".timeline-scroll{overflow-x:auto;max-width:100%}"
    ".timeline-chart{display:block;width:100%;height:auto;min-width:32rem;max-width:60rem;direction:ltr}"
    "@media (max-width:40rem){.timeline-scroll{direction:rtl}}"
    ".timeline-chart text{fill:#222;font-size:12px;font-family:inherit}"
    ".timeline-chart .panel-title{font-size:13px;font-weight:600}"
    ".timeline-chart .tick{fill:#555}"
    ".timeline-chart .axis{stroke:#555;stroke-width:1}"
    ".timeline-chart .grid{stroke:#e6e6e6;stroke-width:1}"
    ".timeline-chart .series{fill:none;stroke-width:3;stroke-linejoin:round}"
    ".timeline-chart .series-instruments{stroke:var(--status-deposited,#0072b2)}"
    ".timeline-chart .series-signatories{stroke:var(--status-signed,#56b4e9);stroke-width:3.5}"
    ".timeline-chart .area-signatories{fill:var(--status-signed,#56b4e9);fill-opacity:.22;stroke:none}"
    ".timeline-chart .projected{stroke-dasharray:5 4}"
    ".timeline-chart .threshold{stroke:var(--status-in-force,#009e73);stroke-width:2;stroke-dasharray:7 4}"
    ".timeline-chart .gap{stroke:#222;stroke-width:1}"
    ".timeline-chart .strong{font-weight:600}"
    ".timeline-chart .marker{stroke:#444;stroke-width:1.25;stroke-dasharray:2 3}"
    ".timeline-chart .marker-entry-into-force{stroke:var(--status-in-force,#009e73);stroke-width:2;stroke-dasharray:none}"
    ".timeline-chart .marker-today{stroke:#888}"
)

BEFORE, AFTER = timedelta(days=7), timedelta(days=14)  # margins either side of the dates shown


def chart_span(snap: Snapshot) -> tuple[date, date]:
    """From the opening for signature (or the first action, or an earlier ``as_of``) to the
    last date worth showing: ``as_of``, the deadline, the date of entry into force.

    The margins stop at the ends of the calendar (date.min, date.max) rather than overflow.
    """
    treaty, status = snap.treaty, snap.status
    days = [p.day for p in snap.timeline]
    start = min([treaty.signature_opens_on or snap.as_of, snap.as_of, *days])
    ends = [snap.as_of, treaty.signature_closes_on, status.entry_into_force_on]
    end = max(day for day in ends if day)
    start = start - BEFORE if start >= date.min + BEFORE else date.min
    end = end + AFTER if end <= date.max - AFTER else date.max
    return start, end


# Months between two labels of the time axis: a quarter for a span of a few years, then
# whole years, decades and centuries, so that a long span never needs more than LABELS.
LABEL_STEPS = (3, 6, 12, 24, 60, 120, 240, 600, 1200, 2400, 6000, 12000)
LABELS = 8


def axis_months(start: date, end: date) -> list[date]:
    """The first days of the months that get a label between ``start`` and ``end``."""
    first = start.year * 12 + start.month - 1  # months since year 0; January is 0
    if start.day > 1:
        first += 1
    last = end.year * 12 + end.month - 1
    step = next((step for step in LABEL_STEPS if (last - first) // step < LABELS), LABEL_STEPS[-1])
    first += -first % step  # a multiple of the step: January, April, July, October, or a January
    return [date(index // 12, index % 12 + 1, 1) for index in range(first, last + 1, step)]


def nice_scale(value: float, ticks: int = 5) -> tuple[int, int]:
    """The top of an axis that holds ``value``, and the step between its ticks: a step of
    1, 2 or 5 times a power of ten, at most ``ticks`` of them."""
    value, magnitude = max(value, 1), 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            top = math.ceil(value / step) * step
            if top // step <= ticks:
                return top, step
        magnitude *= 10


class Frame:
    """The day → x mapping of the chart, and each panel's value → y."""

    def __init__(self, start: date, end: date):
        self.start, self.span = start, max((end - start).days, 1)

    def x(self, day: date) -> float:
        return LEFT + (day - self.start).days / self.span * (WIDTH - LEFT - RIGHT)

    @staticmethod
    def y(panel: Panel, top_value: int, value: float) -> float:
        return panel.bottom - value / top_value * (panel.bottom - panel.top)


def timeline_svg(snap: Snapshot, today: date | None = None) -> str:
    """The chart of ``snap`` as inline SVG markup. ``today`` (default: the treaty's today)
    is where the records stop: after it, the lines are a projection."""
    today = today or snap.treaty.local_date()
    start, end = chart_span(snap)
    frame = Frame(start, end)
    status = snap.status
    # The threshold always fits, with room for its label: the gap to it is the story.
    counted = [p.instruments_counted for p in snap.timeline]
    instruments_top, instruments_step = nice_scale(max([(status.threshold or 0) * 1.1, *counted, 1]))
    signatories_top, signatories_step = nice_scale(max([p.signatories for p in snap.timeline] + [1]) * 1.1)
    parts = [
        time_axis(frame, start, end),
        panel_frame(INSTRUMENTS, instruments_top, instruments_step, instruments_title(status.threshold)),
        panel_frame(SIGNATORIES, signatories_top, signatories_step, "Signatories"),
        series(snap, frame, today, "signatories", SIGNATORIES, signatories_top, area=True),
        series(snap, frame, today, "instruments_counted", INSTRUMENTS, instruments_top),
        threshold_parts(snap, frame, instruments_top),
        markers(frame, marks(snap, today)),
    ]
    return mark_safe(
        f'<svg class="timeline-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="timeline-title timeline-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="timeline-title">{escape(title(snap))}</title>'
        f'<desc id="timeline-desc">{escape(describe(snap, today))}</desc>'
        f"<style>{STYLE}</style>{''.join(parts)}</svg>"
    )


def title(snap: Snapshot) -> str:
    return f"{snap.treaty.short_title}: instruments counted and signatories over time"


def instruments_title(threshold: int | None) -> str:
    if threshold:
        return f"Instruments counted toward entry into force ({threshold} needed)"
    return "Instruments in effect (no threshold recorded)"


def time_axis(frame: Frame, start: date, end: date) -> str:
    """The labels of the time axis, under the lower panel, and a faint line per label
    through both panels."""
    parts = []
    for month in axis_months(start, end):
        x = frame.x(month)
        for panel in (INSTRUMENTS, SIGNATORIES):
            parts.append(
                f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="{panel.top}" y2="{panel.bottom}"/>'
            )
        parts.append(
            f'<text class="tick" x="{x:.1f}" y="{AXIS_Y}" text-anchor="middle">{month:%b} {month.year}</text>'
        )
    return "".join(parts)


def panel_frame(panel: Panel, top_value: int, step: int, name: str) -> str:
    """A panel's title, its axes and its value ticks with their grid lines."""
    parts = [
        f'<text class="panel-title" x="{LEFT}" y="{panel.title_y}">{escape(name)}</text>',
        f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{panel.bottom}" y2="{panel.bottom}"/>',
        f'<line class="axis" x1="{LEFT}" x2="{LEFT}" y1="{panel.top}" y2="{panel.bottom}"/>',
    ]
    for value in range(0, top_value + 1, step):
        y = Frame.y(panel, top_value, value)
        if value:
            parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value}</text>')
    return "".join(parts)


def step_points(snap: Snapshot, attribute: str, since: date, until: date, value: int = 0):
    """The corners of a cumulative count's step line from ``since`` (where it stands at
    ``value``) to ``until``, and the count there."""
    corners = [(since, value)]
    for point in snap.timeline:
        if since < point.day <= until:
            corners.append((point.day, value))
            value = getattr(point, attribute)
            corners.append((point.day, value))
    corners.append((until, value))
    return corners, value


def series(snap, frame: Frame, today: date, attribute: str, panel: Panel, top_value: int, area=False) -> str:
    """A count as a step line up to the records' last day, then (for a day after today) a
    dashed projection to ``as_of``, with what is already dated after today (a withdrawal
    taking effect later); its value written at the end."""
    start, _ = chart_span(snap)
    recorded_until = max(min(snap.as_of, today), start)
    corners, value = step_points(snap, attribute, start, recorded_until)

    def path(points) -> str:
        return " ".join(f"{frame.x(day):.1f},{Frame.y(panel, top_value, count):.1f}" for day, count in points)

    kind = "instruments" if attribute == "instruments_counted" else "signatories"
    parts = []
    if area:
        closed = [*corners, (corners[-1][0], 0)]
        parts.append(f'<polygon class="area-{kind}" points="{path(closed)}"/>')
    parts.append(f'<polyline class="series series-{kind}" points="{path(corners)}"/>')
    if snap.as_of > recorded_until:
        projected, value = step_points(snap, attribute, recorded_until, snap.as_of, value)
        parts.append(f'<polyline class="series series-{kind} projected" points="{path(projected)}"/>')
    x, y = frame.x(snap.as_of), Frame.y(panel, top_value, value)
    # The end of a line says what it counts: on a phone, the panel's title may be out of view.
    threshold = snap.status.threshold
    label = f"{value} of {threshold}" if kind == "instruments" and threshold else f"{value} {kind}"
    parts.append(f'<text class="strong" x="{x - 4:.1f}" y="{y - 7:.1f}" text-anchor="end">{label}</text>')
    return "".join(parts)


def threshold_parts(snap: Snapshot, frame: Frame, top_value: int) -> str:
    """The threshold as a labelled dashed line, and the gap still to close at ``as_of``."""
    status = snap.status
    if not status.threshold:
        return ""
    y = Frame.y(INSTRUMENTS, top_value, status.threshold)
    parts = [
        f'<line class="threshold" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>',
        f'<text class="strong" x="{LEFT + 6}" y="{y - 6:.1f}">Threshold: {status.threshold} instruments</text>',
    ]
    remaining = status.remaining
    if remaining:
        x = frame.x(snap.as_of)
        low = Frame.y(INSTRUMENTS, top_value, status.instruments_counted)
        anchor, dx = ("end", -6) if x > WIDTH / 2 else ("start", 6)
        parts.append(f'<line class="gap" x1="{x:.1f}" x2="{x:.1f}" y1="{y:.1f}" y2="{low:.1f}"/>')
        parts.append(
            f'<text x="{x + dx:.1f}" y="{(y + low) / 2 + 4:.1f}" text-anchor="{anchor}">{remaining} still needed</text>'
        )
    return "".join(parts)


def marks(snap: Snapshot, today: date) -> list[tuple[date, str, str]]:
    """The dates marked across both panels: (day, label, kind)."""
    found = []
    closes = snap.treaty.signature_closes_on
    if closes:
        found.append((closes, f"Signature deadline, {wording.short_date(closes)}", "deadline"))
    status = snap.status
    if status.entry_into_force_on:
        day = status.entry_into_force_on
        bound = "on or before " if status.entry_into_force_on_or_before else ""
        if status.in_force:
            label = f"Entered into force {bound}{wording.short_date(day)}"
        else:
            label = f"Enters into force {bound}{wording.short_date(day)} (projected)"
        found.append((day, label, "entry-into-force"))
    if snap.as_of > today >= chart_span(snap)[0]:
        found.append((today, f"Records end today, {wording.short_date(today)}", "today"))
    return sorted(found)


def markers(frame: Frame, found: list[tuple[date, str, str]]) -> str:
    """A vertical line per marked date, its label in the first row above the panels where
    it overlaps no other label (and on the side of the line where it fits)."""
    parts, row_ends = [], [float("-inf")] * len(LABEL_ROWS)
    for day, label, kind in found:
        x = frame.x(day)
        width = len(label) * LABEL_CHARACTER
        anchor, left = ("start", x + 4) if x + 4 + width <= WIDTH else ("end", x - 4 - width)
        # The first row it fits in; failing that, the one where it overlaps least.
        row = next((i for i, end in enumerate(row_ends) if left > end + 8), None)
        row = row_ends.index(min(row_ends)) if row is None else row
        row_ends[row] = left + width
        text_x = left if anchor == "start" else left + width
        baseline = LABEL_ROWS[row]
        parts.append(
            f'<line class="marker marker-{kind}" x1="{x:.1f}" x2="{x:.1f}" y1="{baseline - 10}" '
            f'y2="{SIGNATORIES.bottom}"/>'
            f'<text class="marker-label" x="{text_x:.1f}" y="{baseline}" text-anchor="{anchor}">{escape(label)}</text>'
        )
    return "".join(parts)


def describe(snap: Snapshot, today: date) -> str:
    """The chart in words."""
    status = snap.status
    day = wording.long_date(snap.as_of)
    caveat = wording.projection_words(snap.as_of, today)
    text = f"{caveat} " if caveat else ""
    if status.threshold:
        text += (
            f"On {day}, {status.instruments_counted} of the {status.threshold} instruments needed for entry "
            f"into force were counted"
        )
        text += f" ({status.remaining} still needed)" if status.remaining else ""
        text += f", and there were {status.signatories} signatories."
    else:
        text += (
            f"On {day}, {status.instruments_counted} instruments were in effect (no rule of entry into force "
            f"is recorded, so no threshold), and there were {status.signatories} signatories."
        )
    for marked, label, _ in marks(snap, today):
        text += f" {label}."
    return text


def figure_rows(points) -> SafeString:
    """The chart's figures as the rows of its table (``rules.TimelinePoint``s): written here,
    not in the template, where the ``date`` filter made them a sixth of the treaty page's
    time. Only dates and whole numbers: nothing to escape."""
    return mark_safe(
        "".join(
            f'<tr><td><time class="date" datetime="{point.day.isoformat()}">{point.day.isoformat()}</time></td>'
            f"<td>{int(point.signatories)}</td><td>{int(point.instruments_counted)}</td></tr>"
            for point in points
        )
    )
