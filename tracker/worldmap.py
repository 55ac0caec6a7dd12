"""The world map of a treaty's participants, drawn on the server as one inline SVG.

Every State the UN counts (its 193 members and its two observer States), and the States
in free association that make treaties (Cook Islands, Niue), is on the map and can be
pointed at and reached with the keyboard: as its outline where that is big enough, as a
marker at its place where it is not (Nauru, Monaco…), as good atlases do. Markers that
would overlap are pushed apart, with a thin line back to their place.

The geometry is worked out once per process (``map_layout``): outlines, markers and the
clip path that keeps neighbours from covering a marker. A render only joins those cached
strings with each row's name, status and link, so a page pays about a millisecond.
"""

import csv
import dataclasses
import functools
import html
import itertools
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.safestring import SafeString, mark_safe

from signatories.names import name_key
from tracker.map_data.atlas import HERE, WIDTH, Outline, atlas, to_viewbox
from tracker.rules import ParticipantStatus
from tracker.wording import long_date, withdrawal_words

# The standing of a participant whose instrument (or signature) was withdrawn and that has
# none in effect (tracker.snapshots.WITHDRAWN; not imported, to keep the map free of the ORM).
WITHDRAWN = "withdrawn"
NO_DATA = "none"  # the class of a State that is no participant, and of the other lands

STATES_FILE = HERE / "states.csv"
PALETTE_FILE = Path(__file__).resolve().parent / "static" / "tracker" / "palette.css"
# An outline narrower than this, or smaller in area, cannot be pointed at on a 1280 px
# screen (the map is about 1120 px wide there: 1 unit is 0.58 px). Such a State is a marker.
MIN_SIDE = 6  # viewBox units: 3.5 px
MIN_AREA = 40  # square viewBox units: about 13 square px
MARKER_RADIUS = 8  # viewBox units: a circle 9 px across at 1280 px
MARKER_GAP = 3  # between two markers, so their outlines do not touch
# Antarctica left out, no land is drawn south of 60°S: the map stops there, not at the pole.
VIEW_HEIGHT = math.ceil(to_viewbox(0, -60)[1])
HALO = 3  # the ring around a marker that neighbours leave bare, so it stands out

STATUS_LABELS = {
    ParticipantStatus.NOT_SIGNED: "Not signed",
    ParticipantStatus.SIGNED: "Signed",
    ParticipantStatus.DEPOSITED: "Instrument deposited",
    ParticipantStatus.IN_FORCE: "In force for it",
}
# How the <desc> counts each status: "12 signed", "3 for which it is in force".
_DESC_PHRASES = {
    ParticipantStatus.NOT_SIGNED: "not signed",
    ParticipantStatus.SIGNED: "signed",
    ParticipantStatus.DEPOSITED: "with an instrument deposited",
    ParticipantStatus.IN_FORCE: "for which it is in force",
}
# The labels of every standing a shape can have: the statuses, and withdrawn.
STANDING_LABELS = {**STATUS_LABELS, WITHDRAWN: "Withdrawn"}
_DESC_PHRASES[WITHDRAWN] = "whose signature or instrument was withdrawn"
STANDINGS = (*ParticipantStatus, WITHDRAWN)
NO_DATA_LABEL = "Not a participant"


# Layout: computed once per process ----------------------------------------------------


@dataclass(frozen=True)
class State:
    """A State the map names even when it is no participant (a line of ``states.csv``)."""

    code: str  # ISO 3166-1 numeric
    iso3: str
    name: str
    place: tuple[float, float] | None  # longitude and latitude, for a State not in the atlas


@functools.cache
def states() -> dict[str, State]:
    """The States of ``map_data/states.csv``, by ISO numeric code."""
    with STATES_FILE.open(encoding="utf-8") as handle:
        return {
            line["iso_numeric"]: State(
                code=line["iso_numeric"],
                iso3=line["iso_alpha3"],
                name=line["name"],
                place=(float(line["lon"]), float(line["lat"])) if line["lon"] else None,
            )
            for line in csv.DictReader(handle)
        }


@dataclass(frozen=True)
class Art:
    """What the map draws for one country code: an outline, a marker, or both.

    ``outline`` and ``marker`` are the attributes of the <path> and <circle> past their
    class (cached strings); ``absent`` is the whole markup of a State that is no participant.
    """

    code: str
    name: str
    key: str  # the name's sorting key: the keyboard goes through the map by name
    iso3: str
    outline: str
    marker: str
    state: bool
    absent: str = ""

    def draw(self, css_class: str, iso3: str) -> str:
        if not self.marker:
            return f'<path class="{css_class}" data-iso3="{iso3}" {self.outline}/>'
        path = f'<path class="{css_class}" {self.outline}/>' if self.outline else ""
        return f'{path}<circle class="{css_class}" data-iso3="{iso3}" {self.marker}/>'


@dataclass(frozen=True)
class Layout:
    """The map's cached parts: the art by code, the background, the clip and leader lines."""

    arts: dict[str, Art]
    background: dict[str, str]  # the no-data path of each code that is not a State
    uncoded: str  # the features without a code (Kosovo, Somaliland…), always in the background
    defs: str  # the clip path that cuts a hole around each marker
    leaders: str  # lines from a marker pushed aside back to its place


def pointable(outline: Outline) -> bool:
    """Whether an outline is big enough to see and point at on a 1280 px screen."""
    return min(outline.width, outline.height) >= MIN_SIDE and outline.area >= MIN_AREA


@functools.cache
def map_layout() -> Layout:
    """Decide once which countries are outlines and which are markers, and where."""
    outlines, uncoded = atlas()
    named = states()
    places = {}  # where each marker's State is, before the markers are pushed apart
    for code, state in named.items():
        outline = outlines.get(code)
        if outline is None or not pointable(outline):
            places[code] = outline.centre if outline is not None else to_viewbox(*state.place)
    markers = spread(places)
    arts = {}
    for code in sorted(named.keys() | outlines.keys()):
        outline = outlines.get(code)
        if code in markers or (outline is not None and pointable(outline)):
            arts[code] = make_art(code, outline, named.get(code), markers.get(code))
        # else a territory too small to point at: in the background only
    background = {code: no_data_path(o) for code, o in outlines.items() if code not in named and o.d}
    return Layout(
        arts=arts,
        background=background,
        uncoded="".join(no_data_path(outline) for outline in uncoded if outline.d),
        defs=holes_clip(markers),
        leaders=leader_lines(places, markers),
    )


def make_art(code: str, outline: Outline | None, state: State | None, marker: tuple[int, int] | None) -> Art:
    """The cached markup of one country: its outline, its marker, and for a State its
    shape as no participant ("Tuvalu: not a participant")."""
    name = state.name if state else outline.name
    art = Art(
        code=code,
        name=name,
        key=name_key(name),
        iso3=state.iso3 if state else "",
        outline=f'd="{outline.d}"' if outline is not None and outline.d else "",
        marker=f'cx="{marker[0]}" cy="{marker[1]}" r="{MARKER_RADIUS}"' if marker else "",
        state=state is not None,
    )
    if state is None:
        return art
    text = escape(f"{name}: {NO_DATA_LABEL[0].lower()}{NO_DATA_LABEL[1:]}")
    shape = art.draw(NO_DATA, escape(state.iso3))
    return dataclasses.replace(art, absent=f"<g {FOCUSABLE}><title>{text}</title>{shape}</g>")


def spread(places: dict[str, tuple[float, float]]) -> dict[str, tuple[int, int]]:
    """Markers at their places, pushed apart until no two overlap (the Caribbean's, Europe's).

    Each round moves the two markers of every overlapping pair apart by half of what they
    lack, along the line between them; markers stay inside the map.
    """
    apart = 2 * MARKER_RADIUS + MARKER_GAP
    edge = MARKER_RADIUS + 1
    points = {code: list(place) for code, place in sorted(places.items())}
    for _ in range(500):
        moved = False
        for a, b in itertools.combinations(points.values(), 2):
            dx, dy = b[0] - a[0], b[1] - a[1]
            distance = math.hypot(dx, dy)
            if distance >= apart:
                continue
            ux, uy = (dx / distance, dy / distance) if distance else (1.0, 0.0)
            push = (apart - distance) / 2 + 0.01
            a[0], a[1], b[0], b[1] = a[0] - ux * push, a[1] - uy * push, b[0] + ux * push, b[1] + uy * push
            moved = True
        for point in points.values():
            point[0] = min(max(point[0], edge), WIDTH - edge)
            point[1] = min(max(point[1], edge), VIEW_HEIGHT - edge)
        if not moved:
            break
    return {code: (round(x), round(y)) for code, (x, y) in points.items()}


def holes_clip(markers: dict[str, tuple[int, int]]) -> str:
    """The clip path of every outline: the whole map less a disc around each marker.

    An outline drawn after a marker (later by name) would otherwise cover it and catch its
    pointer; the disc, a little wider than the marker, leaves a halo around it.
    """
    r = MARKER_RADIUS + HALO
    discs = "".join(
        f"M{x - r} {y}a{r} {r} 0 1 0 {2 * r} 0a{r} {r} 0 1 0-{2 * r} 0z" for x, y in markers.values()
    )
    whole = f"M0 0H{WIDTH}V{VIEW_HEIGHT}H0z"
    return f'<clipPath id="world-map-holes"><path clip-rule="evenodd" d="{whole}{discs}"/></clipPath>'


def leader_lines(places: dict, markers: dict) -> str:
    """A line from each marker pushed off its place back to that place."""
    lines = []
    for code, (x, y) in sorted(markers.items()):
        px, py = places[code]
        distance = math.hypot(px - x, py - y)
        if distance > MARKER_RADIUS:
            # From the place to the marker's edge: the line does not cross the marker.
            ex = x + (px - x) * MARKER_RADIUS / distance
            ey = y + (py - y) * MARKER_RADIUS / distance
            lines.append(f"M{round(px)} {round(py)}L{round(ex)} {round(ey)}")
    return f'<path class="leader" d="{"".join(lines)}"/>' if lines else ""


def no_data_path(outline: Outline) -> str:
    return f'<path class="{NO_DATA}" d="{outline.d}"/>'


# A shape without a link is a stop of the keyboard, named by its <title>.
FOCUSABLE = 'tabindex="0" role="img"'


# Rendering ---------------------------------------------------------------------------


@dataclass
class MapRendering:
    """A rendered map: the SVG, its legend (HTML) and the rows it could not draw.

    ``off_map`` holds, in the order given, the rows with no place on the map: the European
    Union and any participant that is neither a State of ``states.csv`` nor a country of
    the atlas big enough to point at. A page should list them.
    """

    svg: SafeString
    legend: SafeString
    off_map: list = field(default_factory=list)


def render_world_map(rows: Iterable, *, link: Callable[[object], str] | None = None) -> MapRendering:
    """Draw ``rows`` (``tracker.snapshots.ParticipantRow``) on the world map by status.

    Every State of ``states.csv`` is drawn and named, "X: not a participant" when no row is
    its. ``link``, if given, maps a row to the URL of the participant's page; each
    participant's shape is then a link. Shapes come in the order of names, which is their
    keyboard order.
    """
    layout = map_layout()
    rows = list(rows)
    by_code, off_map = {}, []
    for row in rows:
        code = row.participant.iso_numeric or ""
        if code in layout.arts and code not in by_code:
            by_code[code] = row
        else:
            off_map.append(row)
    standings = {id(row): status_of(row) for row in rows}
    background = layout.uncoded + "".join(
        path for code, path in layout.background.items() if code not in by_code
    )
    svg = (
        f'<svg class="world-map" viewBox="0 0 {WIDTH} {VIEW_HEIGHT}" role="group" '
        'aria-labelledby="world-map-title world-map-desc">'
        '<title id="world-map-title">World map of the participants by status</title>'
        f'<desc id="world-map-desc">{escape(describe(list(standings.values()), off_map))}</desc>'
        f"<style>{STYLE}</style><defs>{PATTERNS}{layout.defs}</defs>"
        f'<g aria-hidden="true">{background}</g>'
        f"<g>{stops(layout, by_code, standings, link)}</g>"
        f'<g aria-hidden="true">{layout.leaders}</g>'
        "</svg>"
    )
    return MapRendering(svg=mark_safe(svg), legend=legend_html(), off_map=off_map)


def escape(text: str) -> str:
    """Text for markup, quotes included (the standard library's: a render escapes 400 texts)."""
    return html.escape(text, quote=True)


def stops(layout: Layout, by_code: dict, standings: dict, link: Callable | None) -> str:
    """The shapes of every State and participant on the map, in the order of their names:
    the participants' with their status, the other States' as no participant."""
    items = []
    for code, art in layout.arts.items():
        row = by_code.get(code)
        if row is not None:
            name = row.participant.name
            shape = participant_shape(row, standings[id(row)], art, link)
            items.append((art.key if name == art.name else name_key(name), shape))
        elif art.state:
            items.append((art.key, art.absent))
    items.sort(key=lambda item: item[0])
    return "".join(markup for _, markup in items)


def status_of(row) -> str:
    """The row's standing: its ``ParticipantStatus``, or ``WITHDRAWN`` (``row.standing``)."""
    standing = getattr(row, "standing", None)
    return WITHDRAWN if standing == WITHDRAWN else ParticipantStatus(row.status).value


def label(row, standing: str | None = None) -> str:
    """What a shape says: "France: signed", "Poland: withdrawn, effective 20 February 2026",
    "Poland: in force for it; withdrawal takes effect 20 February 2026"."""
    standing = standing or status_of(row)
    withdrawal = getattr(row, "withdrawal", None)
    as_of = getattr(row, "as_of", None)
    if withdrawal is not None and as_of is not None:
        words = withdrawal_words(withdrawal.withdrawn_on, as_of, long_date)
        if standing == WITHDRAWN:
            return f"{row.participant.name}: {words}"
        text = STANDING_LABELS[standing]
        return f"{row.participant.name}: {text[0].lower()}{text[1:]}; {words}"
    text = STANDING_LABELS[standing]
    return f"{row.participant.name}: {text[0].lower()}{text[1:]}"


def participant_shape(row, standing: str, art: Art, link: Callable[[object], str] | None) -> str:
    """A participant's named, focusable shape: a link to its page, or a keyboard stop.

    The focusable element's <title> is its accessible name (SVG-AAM) and the tooltip that
    browsers show on hover, without script; the shape inside carries none, so a screen
    reader stops once per country.
    """
    text = escape(label(row, standing))
    shape = art.draw(standing, escape(row.participant.iso_alpha3 or art.iso3))
    if link is None:
        return f"<g {FOCUSABLE}><title>{text}</title>{shape}</g>"
    return f'<a href="{escape(link(row))}"><title>{text}</title>{shape}</a>'


def describe(standings: list[str], off_map: list) -> str:
    """The map in words: how many participants are in each standing, and which are not drawn."""
    counts = {status: 0 for status in STANDINGS}
    for standing in standings:
        counts[standing] += 1
    shown = [status for status in STANDINGS if status != WITHDRAWN or counts[status]]
    parts = ", ".join(f"{counts[status]} {_DESC_PHRASES[status]}" for status in shown)
    text = f"{len(standings)} participants: {parts}. Small States are drawn as circles."
    if off_map:
        names = ", ".join(row.participant.name for row in off_map)
        text += f" Not on the map, having no territory of their own on it: {names}."
    return text


# Look --------------------------------------------------------------------------------


def palette() -> dict[str, str]:
    """The status colours of ``static/tracker/palette.css`` (``--status-signed: #f0e442``),
    by the class the map gives each standing: the one place they are defined."""
    text = PALETTE_FILE.read_text(encoding="utf-8")
    found = dict(re.findall(r"--status-([a-z-]+)\s*:\s*(#[0-9a-fA-F]{6})\s*;", text))
    return {standing: found[css_name(standing)] for standing in (*STANDINGS, NO_DATA)}


def css_name(standing: str) -> str:
    """The custom property's name of a standing: "in_force" → "in-force" (--status-in-force)."""
    return standing.replace("_", "-")


def status_rules(colours: dict[str, str]) -> str:
    """The fill of each standing, for the map's shapes and the legend's swatches alike.

    The custom properties come from palette.css; the fallback (the same colour, read from
    that file) keeps the map coloured where it is shown without the stylesheet. Withdrawn
    takes a hatching as well: a second cue, not the only one.
    """
    rules = []
    for standing, colour in colours.items():
        fill = f"var(--status-{css_name(standing)},{colour})"
        target = "url(#world-map-withdrawn)" if standing == WITHDRAWN else fill
        rules.append(f".world-map .{standing},.world-map-legend .{standing}{{fill:{target}}}")
    rules.append(f".world-map .withdrawn-ground{{fill:var(--status-withdrawn,{colours[WITHDRAWN]})}}")
    return "".join(rules)


PATTERNS = (
    '<pattern id="world-map-withdrawn" width="8" height="8" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect class="withdrawn-ground" width="8" height="8"/>'
    '<path class="hatch" d="M4 0V8"/></pattern>'
)

# A <style> in inline SVG applies to the whole page, so the legend needs nothing more.
# Borders keep a fixed width in screen pixels whatever size the map is shown at. Markers
# have a near-black outline: at least 3:1 against white and every status fill. The focus
# is a thick black outline on the shape (the outer half of a border hides under the
# neighbours, hence 4 px), distinct from hover's 1.5 px.
STYLE = (
    ".world-map{display:block;width:100%;height:auto}"
    ".world-map path,.world-map circle{stroke:#6f6f6f;stroke-width:.5px;stroke-linejoin:round;"
    "vector-effect:non-scaling-stroke;fill-rule:evenodd}"
    ".world-map circle{stroke:#1a1a1a;stroke-width:1px}"
    ".world-map g path:not(.leader){clip-path:url(#world-map-holes)}"
    + status_rules(palette())
    + ".world-map .hatch{stroke:#1a1a1a;stroke-width:2px;vector-effect:none}"
    ".world-map .leader{fill:none;stroke:#1a1a1a;stroke-width:.75px;pointer-events:none}"
    ".world-map a:hover>*,.world-map [tabindex]:hover>*{stroke:#000;stroke-width:1.5px}"
    ".world-map a:focus,.world-map [tabindex]:focus{outline:none}"
    ".world-map a:focus-visible>*,.world-map [tabindex]:focus-visible>*{stroke:#000;stroke-width:4px}"
    # The link past the map's two hundred stops shows only when it has the focus.
    ".map-skip{position:absolute;left:-9999px}.map-skip:focus{position:static}"
    ".world-map-legend{display:flex;flex-wrap:wrap;gap:.4em 1.4em;list-style:none;margin:.5em 0;padding:0}"
    ".world-map-legend li{display:flex;align-items:center;gap:.4em}"
    ".world-map-legend rect{stroke:#6f6f6f;stroke-width:1}"
    ".world-map-legend circle{stroke:#1a1a1a;stroke-width:1}"
)


@functools.cache
def legend_html() -> SafeString:
    """The legend: a swatch with the map's own fill, and a label, per standing; then the
    marker that stands for a small State.

    The swatches take their fills from the map's <style> and <defs>, so the legend goes on
    the same page as the map.
    """
    entries = [(status, STANDING_LABELS[status]) for status in STANDINGS]
    entries.append((NO_DATA, NO_DATA_LABEL))
    swatch = (
        '<svg class="world-map-swatch" width="24" height="16" viewBox="0 0 24 16" '
        'aria-hidden="true" focusable="false">'
    )
    items = "".join(
        f'<li>{swatch}<rect class="{css_class}" x=".5" y=".5" width="23" height="15"/></svg>'
        f"{escape(text)}</li>"
        for css_class, text in entries
    )
    circle = f'<circle class="{NO_DATA}" cx="12" cy="8" r="5"/>'
    items += f"<li>{swatch}{circle}</svg>Small State (a circle at its place)</li>"
    return mark_safe(f'<ul class="world-map-legend" aria-label="Legend of the map">{items}</ul>')
