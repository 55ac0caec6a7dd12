"""The world map of a treaty's participants, drawn on the server as one inline SVG.

The countries come from world-atlas's ``countries-50m.json`` (see ``map_data/README.md``),
TopoJSON whose feature ids are ISO 3166-1 numeric codes. It is decoded and projected with
the Equal Earth projection once per process (``atlas``); a render then only joins the
precomputed path strings with the rows' names and statuses, so a page pays a few
milliseconds, not the decoding.

Coordinates are kept as integers in tenths of a pixel: rounding happens once, at
projection, and the relative path commands are exact differences of rounded points, so
no error accumulates along a coastline.
"""

import functools
import itertools
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from signatories.names import name_key
from tracker.rules import ParticipantStatus
from tracker.wording import long_date, withdrawal_words

# The standing of a participant whose instrument (or signature) was withdrawn and that has
# none in effect (tracker.snapshots.WITHDRAWN; not imported, to keep the map free of the ORM).
WITHDRAWN = "withdrawn"

DATA_FILE = Path(__file__).resolve().parent / "map_data" / "countries-50m.json"
ANTARCTICA = "010"  # left out: its long coast weighs on every page and it is no participant
MIN_SIZE = 2.5  # px: a shape under this on both sides can be neither seen nor pointed at
# Tenths of a px a simplified coastline or border may stray from the 1:50m one. At this
# scale the data has far more detail than pixels: this cuts the paths from 460 kB to 90 kB.
TOLERANCE = 3

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

# Equal Earth (Šavrič, Patterson & Jenny, 2018), on a unit sphere.
_A1, _A2, _A3, _A4 = 1.340264, -0.081106, 0.000893, 0.003796
_M = math.sqrt(3) / 2


def equal_earth(lon: float, lat: float) -> tuple[float, float]:
    """Project a longitude and latitude in degrees to Equal Earth x, y (y up, unit sphere)."""
    theta = math.asin(_M * math.sin(math.radians(lat)))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = math.radians(lon) * math.cos(theta) / (_M * (_A1 + 3 * _A2 * t2 + t6 * (7 * _A3 + 9 * _A4 * t2)))
    y = theta * (_A1 + _A2 * t2 + t6 * (_A3 + _A4 * t2))
    return x, y


WIDTH = 960
_SCALE = WIDTH / (2 * equal_earth(180, 0)[0])
_TOP = equal_earth(0, 90)[1] * _SCALE
HEIGHT = math.ceil(2 * _TOP)  # the whole sphere: 960 × 468


def to_viewbox(lon: float, lat: float) -> tuple[float, float]:
    """Where a longitude and latitude in degrees fall in the map's viewBox (y down)."""
    x, y = equal_earth(lon, lat)
    return WIDTH / 2 + x * _SCALE, _TOP - y * _SCALE


Point = tuple[int, int]  # in tenths of a viewBox unit
Ring = list[Point]


@dataclass(frozen=True)
class Shape:
    """One country's outline, ready to draw: its path and the size of its largest part."""

    d: str
    size: float  # px: the longer side of the bounding box of its largest part

    @property
    def visible(self) -> bool:
        return self.size >= MIN_SIZE


# Decoding ----------------------------------------------------------------------------


@functools.cache
def atlas() -> tuple[dict[str, Shape], tuple[Shape, ...]]:
    """The countries by ISO numeric code, and the shapes with no code (Kosovo, Somaliland…).

    Features sharing a code (Australia and its Ashmore and Cartier Islands) become one
    shape. Decoded once per process.
    """
    topology = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    arcs = projected_arcs(topology)
    coded: dict[str, list[list[Ring]]] = {}
    uncoded: list[Shape] = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        code = geometry.get("id")
        if code == ANTARCTICA:
            continue
        polygons = decode_polygons(geometry, arcs)
        if code:
            coded.setdefault(code, []).extend(polygons)
        elif polygons:
            uncoded.append(make_shape(polygons))
    move_crimea_to_ukraine(coded)
    shapes = {code: make_shape(polygons) for code, polygons in coded.items() if polygons}
    return shapes, tuple(uncoded)


# Natural Earth draws boundaries as they are on the ground and puts Crimea in Russia's
# shape. A tracker of UN treaties follows the UN: General Assembly resolution 68/262 (2014)
# affirms Ukraine's territorial integrity within its internationally recognized borders.
RUSSIA, UKRAINE = "643", "804"
CRIMEA_BOX = ((32.2, 44.2), (36.8, 46.3))  # longitude and latitude of two opposite corners


def in_crimea(ring: Ring) -> bool:
    corners = [to_viewbox(lon, lat) for lon in (32.2, 36.8) for lat in (44.2, 46.3)]
    xs, ys = [round(x * 10) for x, _ in corners], [round(y * 10) for _, y in corners]
    return all(min(xs) <= x <= max(xs) and min(ys) <= y <= max(ys) for x, y in ring)


def move_crimea_to_ukraine(coded: dict[str, list[list[Ring]]]) -> None:
    """Move the polygons of Russia's shape that lie in Crimea to Ukraine's."""
    crimea = [polygon for polygon in coded.get(RUSSIA, []) if in_crimea(polygon[0])]
    if crimea:
        coded[RUSSIA] = [polygon for polygon in coded[RUSSIA] if polygon not in crimea]
        coded.setdefault(UKRAINE, []).extend(crimea)


def lonlat_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """Every arc of the topology as longitudes and latitudes.

    Quantized arcs (with a ``transform``) are deltas from the previous position.
    """
    transform = topology.get("transform")
    if not transform:
        return [[(p[0], p[1]) for p in arc] for arc in topology["arcs"]]
    (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy, *_ in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def split_at_antimeridian(arc: list[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    """Cut an arc where it crosses the 180th meridian, ending and starting pieces on it.

    Russia's and Fiji's coasts cross it: drawn as they are, they would run across the map.
    """
    lines = [[arc[0]]]
    for (lon0, lat0), (lon1, lat1) in itertools.pairwise(arc):
        if abs(lon1 - lon0) > 180:
            edge = 180.0 if lon0 > 0 else -180.0
            unwrapped = lon1 + 2 * edge  # lon1 seen from lon0's side of the meridian
            t = (edge - lon0) / (unwrapped - lon0) if unwrapped != lon0 else 0.0
            lat = lat0 + t * (lat1 - lat0)
            lines[-1].append((edge, lat))
            lines.append([(-edge, lat)])
        lines[-1].append((lon1, lat1))
    return lines


def projected_arcs(topology: dict) -> list[Ring]:
    """Every arc projected to tenths of a viewBox unit, simplified.

    An arc that crosses the 180th meridian keeps a jump from one edge of the map to the
    other, which ``stitch_rings`` cuts on.
    """
    result = []
    for arc in lonlat_arcs(topology):
        points: Ring = []
        for line in split_at_antimeridian(arc) if arc else []:
            projected = [to_viewbox(lon, lat) for lon, lat in line]
            # Simplifying arcs, not rings, keeps a border shared by two countries identical
            # in both, so no gap or overlap opens between them.
            points += simplify([(round(x * 10), round(y * 10)) for x, y in projected], TOLERANCE)
        result.append(points)
    return result


def simplify(points: Ring, tolerance: float) -> Ring:
    """Douglas-Peucker: the points of a line that keep it within ``tolerance`` of the original.

    The end points always stay, so arcs still meet. A closed line (a small island) keeps
    at least a triangle rather than shrink to a sliver, so it still shows.
    """
    keep = {0, len(points) - 1}
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (ax, ay), (bx, by) = points[first], points[last]
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy
        farthest, distance2 = 0, tolerance * tolerance
        for i in range(first + 1, last):
            px, py = points[i][0] - ax, points[i][1] - ay
            # Squared distance to the chord, or to the point when the arc is closed.
            d2 = (px * dy - py * dx) ** 2 / length2 if length2 else px * px + py * py
            if d2 > distance2:
                farthest, distance2 = i, d2
        if farthest:
            keep.add(farthest)
            stack += [(first, farthest), (farthest, last)]
    if len(keep) == 3 and points[0] == points[-1]:
        keep.add(widest_corner(points, max(keep - {0, len(points) - 1})))
    return [point for i, point in enumerate(points) if i in keep]


def widest_corner(points: Ring, apex: int) -> int:
    """The point that makes the largest triangle with the first point and ``apex``."""
    (ax, ay), (bx, by) = points[0], points[apex]
    return max(
        range(len(points)),
        key=lambda i: abs((points[i][0] - ax) * (by - ay) - (points[i][1] - ay) * (bx - ax)),
    )


def decode_polygons(geometry: dict, arcs: list[Ring]) -> list[list[Ring]]:
    """A Polygon or MultiPolygon as a list of polygons, each a list of rings (outer first)."""
    kind = geometry.get("type")
    if kind == "Polygon":
        polygons = [geometry["arcs"]]
    elif kind == "MultiPolygon":
        polygons = geometry["arcs"]
    else:  # a null geometry or a point: nothing to fill
        return []
    decoded = []
    for outer, *holes in polygons:
        # Empty when an island collapsed to a point at this scale; two rings when it was
        # cut at the 180th meridian.
        outers = stitch_rings(outer, arcs)
        if outers:
            decoded.append(outers[:1] + [ring for hole in holes for ring in stitch_rings(hole, arcs)])
            decoded += [[ring] for ring in outers[1:]]
    return decoded


def stitch_rings(indices: list[int], arcs: list[Ring]) -> list[Ring]:
    """Join a ring's arcs (a negative index ~i is arc i reversed), without repeated points.

    A ring that crosses the 180th meridian comes back as two, one on each edge of the map;
    a ring left with fewer than three distinct points as none.
    """
    points: Ring = []
    for index in indices:
        for point in arcs[index] if index >= 0 else arcs[~index][::-1]:
            # Consecutive arcs share their end points, and rounding merges close ones.
            if not points or point != points[-1]:
                points.append(point)
    sides: tuple[Ring, Ring] = (points[:1], [])
    side = 0
    for previous, point in itertools.pairwise(points):
        if abs(point[0] - previous[0]) > WIDTH * 5:  # half the width: a jump across the map
            side ^= 1
        sides[side].append(point)
    return [ring for ring in map(close_ring, sides) if ring]


def close_ring(ring: Ring) -> Ring:
    """The ring without its closing point ("z" closes it), or [] if it encloses nothing."""
    if len(ring) > 1 and ring[0] == ring[-1]:
        ring = ring[:-1]
    return ring if len(ring) >= 3 else []


def make_shape(polygons: list[list[Ring]]) -> Shape:
    """The path of a country's polygons, and the size of its largest part."""
    size = max(extent(polygon[0]) for polygon in polygons)
    return Shape(d="".join(ring_path(ring) for polygon in polygons for ring in polygon), size=size)


def extent(ring: Ring) -> float:
    """The longer side of a ring's bounding box, in viewBox units."""
    xs = [x for x, _ in ring]
    ys = [y for _, y in ring]
    return max(max(xs) - min(xs), max(ys) - min(ys)) / 10


def ring_path(ring: Ring) -> str:
    """One closed subpath: an absolute move, then relative lines, which are shorter."""
    numbers = []
    for (x0, y0), (x1, y1) in itertools.pairwise(ring):
        numbers += (x1 - x0, y1 - y0)
    return f"M{tenths(ring[0][0])} {tenths(ring[0][1])}l{join_numbers(numbers)}z"


def tenths(value: int) -> str:
    """An integer count of tenths as the shortest decimal: 12 → "1.2", -3 → "-.3", 40 → "4"."""
    whole, tenth = divmod(abs(value), 10)
    text = (str(whole) if whole else "") + (f".{tenth}" if tenth else "") or "0"
    return "-" + text if value < 0 else text


def join_numbers(values: list[int]) -> str:
    """Numbers of a path, with a space only where the next one would run into the last."""
    parts: list[str] = []
    for value in values:
        text = tenths(value)
        # "-" always starts a new number; so does "." after a number that has its point.
        if parts and not (text[0] == "-" or (text[0] == "." and "." in parts[-1])):
            parts.append(" ")
        parts.append(text)
    return "".join(parts)


# Rendering ---------------------------------------------------------------------------


@dataclass
class MapRendering:
    """A rendered map: the SVG, its legend (HTML) and the rows it could not draw.

    ``off_map`` holds, in the order given, the rows with no shape of their own on the map:
    the European Union, participants missing from the atlas (Tuvalu, the Holy See) and
    those too small to see or to focus (Nauru, Monaco…). A page should list them.
    """

    svg: SafeString
    legend: SafeString
    off_map: list = field(default_factory=list)


def render_world_map(rows: Iterable, *, link: Callable[[object], str] | None = None) -> MapRendering:
    """Draw ``rows`` (``tracker.snapshots.ParticipantRow``) on the world map by status.

    ``link``, if given, maps a row to the URL of the participant's page; each shape then
    becomes a link. Shapes come in the order of the participants' names, which is their
    keyboard order.
    """
    shapes, uncoded = atlas()
    rows = list(rows)
    on_map, off_map = [], []
    for row in rows:
        shape = shapes.get(row.participant.iso_numeric or "")
        (on_map if shape is not None and shape.visible else off_map).append(row)
    on_map.sort(key=lambda row: name_key(row.participant.name))
    codes = {row.participant.iso_numeric for row in rows}
    background = [no_data_path(shape) for code, shape in shapes.items() if code not in codes]
    background += [no_data_path(shape) for shape in uncoded]
    # Too small to point at, but drawn all the same so no hole shows where they are.
    background += [
        speck_path(row, shapes[row.participant.iso_numeric])
        for row in off_map
        if row.participant.iso_numeric in shapes
    ]
    svg = (
        f'<svg class="world-map" viewBox="0 0 {WIDTH} {HEIGHT}" role="group" '
        'aria-labelledby="world-map-title world-map-desc">'
        '<title id="world-map-title">World map of the participants by status</title>'
        f'<desc id="world-map-desc">{escape(describe(rows, off_map))}</desc>'
        f"<style>{STYLE}</style><defs>{PATTERNS}</defs>"
        f'<g aria-hidden="true">{"".join(background)}</g>'
        f"<g>{''.join(participant_shape(row, shapes[row.participant.iso_numeric], link) for row in on_map)}</g>"
        "</svg>"
    )
    return MapRendering(svg=mark_safe(svg), legend=legend_html(), off_map=off_map)


def status_of(row) -> str:
    """The row's standing: its ``ParticipantStatus``, or ``WITHDRAWN`` (``row.standing``)."""
    standing = getattr(row, "standing", None)
    return WITHDRAWN if standing == WITHDRAWN else ParticipantStatus(row.status).value


def label(row) -> str:
    """What a shape says: "France: signed", "Poland: withdrawn, effective 20 February 2026",
    "Poland: in force for it; withdrawal takes effect 20 February 2026"."""
    standing = status_of(row)
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


def participant_shape(row, shape: Shape, link: Callable[[object], str] | None) -> str:
    """A participant's focusable shape: a path, or a link around it when ``link`` is given."""
    status = status_of(row)
    text = escape(label(row))
    # Whichever element takes the focus carries the name: with a link, naming the path too
    # would make a screen reader stop twice on each country.
    focus = "" if link else f' tabindex="0" role="img" aria-label="{text}"'
    path = (
        f'<path class="country status-{status}" data-iso3="{escape(row.participant.iso_alpha3 or "")}" '
        f'data-status="{status}"{focus} d="{shape.d}"><title>{text}</title></path>'
    )
    return path if link is None else f'<a href="{escape(link(row))}" aria-label="{text}">{path}</a>'


def no_data_path(shape: Shape) -> str:
    return f'<path class="country no-data" d="{shape.d}"/>'


def speck_path(row, shape: Shape) -> str:
    return f'<path class="country status-{status_of(row)}" d="{shape.d}"/>'


def describe(rows: list, off_map: list) -> str:
    """The map in words: how many participants are in each status, and which are not drawn."""
    counts = {status: 0 for status in STANDINGS}
    for row in rows:
        counts[status_of(row)] += 1
    shown = [status for status in STANDINGS if status != WITHDRAWN or counts[status]]
    parts = ", ".join(f"{counts[status]} {_DESC_PHRASES[status]}" for status in shown)
    text = f"{len(rows)} participants: {parts}."
    if off_map:
        names = ", ".join(row.participant.name for row in off_map)
        text += f" Not drawn, being too small or without a shape of their own on the map: {names}."
    return text


# Look --------------------------------------------------------------------------------

# Blues from ColorBrewer's sequential scheme, light to dark as a participant advances, so
# the order survives greyscale and colour blindness; the patterns tell the middle two
# statuses apart without colour at all. A withdrawal leaves the blue scale: orange (which
# blue never gets confused with, whatever the colour blindness) crossed with dark lines,
# a pattern of its own, so it shows without colour too.
FILLS = {
    ParticipantStatus.NOT_SIGNED: "#d9d9d9",
    ParticipantStatus.SIGNED: "url(#world-map-hatch)",
    ParticipantStatus.DEPOSITED: "url(#world-map-dots)",
    ParticipantStatus.IN_FORCE: "#08306b",
    WITHDRAWN: "url(#world-map-cross)",
}
PATTERNS = (
    '<pattern id="world-map-hatch" width="5" height="5" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="5" height="5" fill="#c6dbef"/>'
    '<line x1="2.5" y1="0" x2="2.5" y2="5" stroke="#2171b5" stroke-width="2"/></pattern>'
    '<pattern id="world-map-dots" width="4" height="4" patternUnits="userSpaceOnUse">'
    '<rect width="4" height="4" fill="#6baed6"/><circle cx="2" cy="2" r="1.1" fill="#08306b"/></pattern>'
    '<pattern id="world-map-cross" width="6" height="6" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fdae6b"/>'
    '<path d="M3 0V6M0 3H6" stroke="#7f2704" stroke-width="1.2"/></pattern>'
)


def status_rules() -> str:
    """The fill of each status, for the map's shapes and the legend's swatches alike."""
    rules = [".world-map .no-data,.world-map-legend .no-data{fill:#fff}"]
    for status, fill in FILLS.items():
        rules.append(f".world-map .status-{status},.world-map-legend .status-{status}{{fill:{fill}}}")
    return "".join(rules)


# A <style> in inline SVG applies to the whole page, so the legend needs nothing more.
# Borders keep a fixed width in screen pixels whatever size the map is shown at. The
# focused shape turns yellow with a thick black outline: a dark stroke alone would vanish
# on the dark "in force" fill, and the outer half of a stroke hides under the neighbours.
STYLE = (
    ".world-map{display:block;width:100%;height:auto}"
    ".world-map .country{stroke:#6f6f6f;stroke-width:.5px;stroke-linejoin:round;"
    "vector-effect:non-scaling-stroke;fill-rule:evenodd}"
    + status_rules()
    + ".world-map a:hover .country,.world-map .country[tabindex]:hover{stroke:#000;stroke-width:1.5px}"
    ".world-map a:focus,.world-map .country[tabindex]:focus{outline:none}"
    ".world-map a:focus-visible .country,.world-map .country[tabindex]:focus-visible"
    "{fill:#ffdd00;stroke:#000;stroke-width:3px}"
    ".world-map-legend{display:flex;flex-wrap:wrap;gap:.4em 1.4em;list-style:none;margin:.5em 0;padding:0}"
    ".world-map-legend li{display:flex;align-items:center;gap:.4em}"
    ".world-map-legend rect{stroke:#6f6f6f;stroke-width:1}"
)


@functools.cache
def legend_html() -> SafeString:
    """The legend: a swatch with the map's own fill and pattern, and a label, per status.

    The swatches take their fills from the map's <style> and <defs>, so the legend goes on
    the same page as the map.
    """
    entries = [(f"status-{status}", STANDING_LABELS[status]) for status in STANDINGS]
    entries.append(("no-data", NO_DATA_LABEL))
    items = "".join(
        f'<li><svg class="world-map-swatch" width="24" height="16" viewBox="0 0 24 16" '
        f'aria-hidden="true" focusable="false"><rect class="{css_class}" x=".5" y=".5" '
        f'width="23" height="15"/></svg>{escape(text)}</li>'
        for css_class, text in entries
    )
    return mark_safe(f'<ul class="world-map-legend" aria-label="Legend of the map">{items}</ul>')
