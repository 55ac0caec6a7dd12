"""The countries of world-atlas's ``countries-50m.json``, projected and simplified once.

The file is TopoJSON whose feature ids are ISO 3166-1 numeric codes (see ``README.md``).
``atlas()`` decodes it with the Equal Earth projection once per process into ``Outline``s:
a path string ready for the SVG, how big its largest part is (to tell whether it can be
pointed at) and where that part's centre is (to put a marker on a State too small to draw).

Coordinates are integers of a 1920-wide viewBox. Arcs are simplified before they are
rounded, and rounded once: the relative path commands are exact differences of rounded
points, so no error accumulates along a coastline, and a border shared by two countries is
the same points in both.
"""

import functools
import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA_FILE = HERE / "countries-50m.json"
ANTARCTICA = "010"  # left out: its long coast weighs on every page and it is no participant
# How far (viewBox units) a simplified line may stray from the 1:50m one: about a pixel
# where a 1280 px screen shows the map 1120 px wide (1 unit is 0.58 px), which the eye
# does not tell from the original at that size. It cuts the paths from 400 kB to 30 kB.
TOLERANCE = 2
# Islands and lakes smaller than this (viewBox units) on their longer side are left out,
# unless they are a country's largest part: at 1280 px they are under two and a half pixels.
MIN_PART = 4

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


WIDTH = 1920
_SCALE = WIDTH / (2 * equal_earth(180, 0)[0])
_TOP = equal_earth(0, 90)[1] * _SCALE
HEIGHT = math.ceil(2 * _TOP)  # the whole sphere: 1920 × 935


def to_viewbox(lon: float, lat: float) -> tuple[float, float]:
    """Where a longitude and latitude in degrees fall in the map's viewBox (y down)."""
    x, y = equal_earth(lon, lat)
    return WIDTH / 2 + x * _SCALE, _TOP - y * _SCALE


Point = tuple[int, int]  # viewBox units
Ring = list[Point]
LonLat = tuple[float, float]


@dataclass(frozen=True)
class Outline:
    """A country's outline, ready to draw, and the measures of its largest part.

    ``width``, ``height`` and ``area`` are those of the largest part as drawn (viewBox
    units); ``centre`` is that part's centroid in the 1:50m data, before simplification,
    so a State whose islands vanish at this scale still has a place.
    """

    name: str
    d: str
    width: float
    height: float
    area: float
    centre: tuple[float, float]
    boxes: tuple[tuple[int, int, int, int], ...]  # of each outer ring drawn: x0, y0, x1, y1


@functools.cache
def atlas() -> tuple[dict[str, Outline], tuple[Outline, ...]]:
    """The countries by ISO numeric code, and the outlines with no code (Kosovo, Somaliland…).

    Features sharing a code (Australia and its Ashmore and Cartier Islands) become one
    outline. Decoded once per process.
    """
    topology = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    raw = lonlat_arcs(topology)
    arcs = projected_arcs(topology, raw)
    coded: dict[str, list[list[Ring]]] = {}
    centres: dict[str, list[tuple[float, LonLat]]] = {}
    names: dict[str, str] = {}
    uncoded: list[Outline] = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        code = geometry.get("id")
        if code == ANTARCTICA:
            continue
        polygons = decode_polygons(geometry, arcs)
        parts = part_centres(geometry, raw)
        if code:
            coded.setdefault(code, []).extend(polygons)
            centres.setdefault(code, []).extend(parts)
            names.setdefault(code, geometry.get("properties", {}).get("name", ""))
        elif polygons:
            uncoded.append(make_outline(geometry["properties"]["name"], polygons, parts))
    move_crimea_to_ukraine(coded)
    outlines = {
        code: make_outline(names[code], coded[code], centres[code])
        for code in coded
        if coded[code] or centres[code]
    }
    return outlines, tuple(uncoded)


# Natural Earth draws boundaries as they are on the ground and puts Crimea in Russia's
# shape. A tracker of UN treaties follows the UN: General Assembly resolution 68/262 (2014)
# affirms Ukraine's territorial integrity within its internationally recognized borders.
RUSSIA, UKRAINE = "643", "804"
CRIMEA_BOX = ((32.2, 44.2), (36.8, 46.3))  # longitude and latitude of two opposite corners


def in_crimea(ring: Ring) -> bool:
    corners = [to_viewbox(lon, lat) for lon in (32.2, 36.8) for lat in (44.2, 46.3)]
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    return all(min(xs) <= x <= max(xs) and min(ys) <= y <= max(ys) for x, y in ring)


def move_crimea_to_ukraine(coded: dict[str, list[list[Ring]]]) -> None:
    """Move the polygons of Russia's shape that lie in Crimea to Ukraine's."""
    crimea = [polygon for polygon in coded.get(RUSSIA, []) if in_crimea(polygon[0])]
    if crimea:
        coded[RUSSIA] = [polygon for polygon in coded[RUSSIA] if polygon not in crimea]
        coded.setdefault(UKRAINE, []).extend(crimea)


def lonlat_arcs(topology: dict) -> list[list[LonLat]]:
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


def split_at_antimeridian(arc: list[LonLat]) -> list[list[LonLat]]:
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


def projected_arcs(topology: dict, raw: list[list[LonLat]] | None = None) -> list[Ring]:
    """Every arc projected to viewBox units, simplified, then rounded.

    An arc that crosses the 180th meridian keeps a jump from one edge of the map to the
    other, which ``stitch_rings`` cuts on.
    """
    result = []
    for arc in raw if raw is not None else lonlat_arcs(topology):
        points: Ring = []
        for line in split_at_antimeridian(arc) if arc else []:
            # Simplifying arcs, not rings, keeps a border shared by two countries identical
            # in both, so no gap or overlap opens between them.
            for x, y in simplify([to_viewbox(lon, lat) for lon, lat in line], TOLERANCE):
                point = (round(x), round(y))
                if not points or point != points[-1]:
                    points.append(point)
        result.append(points)
    return result


def simplify(points: list, tolerance: float) -> list:
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


def widest_corner(points: list, apex: int) -> int:
    """The point that makes the largest triangle with the first point and ``apex``."""
    (ax, ay), (bx, by) = points[0], points[apex]
    return max(
        range(len(points)),
        key=lambda i: abs((points[i][0] - ax) * (by - ay) - (points[i][1] - ay) * (bx - ax)),
    )


def polygons_of(geometry: dict) -> list:
    """A Polygon's or MultiPolygon's arc indices as a list of polygons; [] for anything else."""
    kind = geometry.get("type")
    if kind == "Polygon":
        return [geometry["arcs"]]
    if kind == "MultiPolygon":
        return geometry["arcs"]
    return []  # a null geometry or a point: nothing to fill


def decode_polygons(geometry: dict, arcs: list[Ring]) -> list[list[Ring]]:
    """A Polygon or MultiPolygon as a list of polygons, each a list of rings (outer first)."""
    decoded = []
    for outer, *holes in polygons_of(geometry):
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
        if abs(point[0] - previous[0]) > WIDTH / 2:  # a jump across the map
            side ^= 1
        sides[side].append(point)
    return [ring for ring in map(close_ring, sides) if ring]


def close_ring(ring: Ring) -> Ring:
    """The ring without its closing point ("z" closes it), or [] if it encloses nothing."""
    if len(ring) > 1 and ring[0] == ring[-1]:
        ring = ring[:-1]
    return ring if len(ring) >= 3 else []


def part_centres(geometry: dict, raw: list[list[LonLat]]) -> list[tuple[float, LonLat]]:
    """Each polygon's outer ring in the unsimplified data: its area (square degrees) and
    centroid. Rings across the 180th meridian are left out: no small State has one."""
    parts = []
    for outer, *_ in polygons_of(geometry):
        ring = [point for index in outer for point in (raw[index] if index >= 0 else raw[~index][::-1])]
        if max(lon for lon, _ in ring) - min(lon for lon, _ in ring) < 180:
            parts.append(centroid(ring))
    return parts


def centroid(ring: list[LonLat]) -> tuple[float, LonLat]:
    """The area and the centroid of a ring (the shoelace formula), in degrees."""
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in itertools.pairwise([*ring, ring[0]]):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if not area:
        return 0.0, ring[0]
    return abs(area / 2), (cx / (3 * area), cy / (3 * area))


def make_outline(name: str, polygons: list[list[Ring]], parts: list[tuple[float, LonLat]]) -> Outline:
    """The path of a country's polygons, the measures of its largest part, and its centre."""
    largest = max((polygon[0] for polygon in polygons), key=ring_area, default=[])
    kept = [polygon for polygon in polygons if polygon[0] is largest or extent(polygon[0]) >= MIN_PART]
    rings = [
        ring for polygon in kept for ring in polygon[:1] + [h for h in polygon[1:] if extent(h) >= MIN_PART]
    ]
    xs, ys = [x for x, _ in largest] or [0], [y for _, y in largest] or [0]
    lon, lat = max(parts)[1] if parts else (0.0, 0.0)
    return Outline(
        name=name,
        d="".join(ring_path(ring) for ring in rings),
        width=max(xs) - min(xs),
        height=max(ys) - min(ys),
        area=ring_area(largest),
        centre=to_viewbox(lon, lat),
        boxes=tuple(box(polygon[0]) for polygon in kept),
    )


def ring_area(ring: Ring) -> float:
    """The area a ring encloses, in square viewBox units."""
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise([*ring, *ring[:1]]))) / 2


def box(ring: Ring) -> tuple[int, int, int, int]:
    """A ring's bounding box: x0, y0, x1, y1."""
    xs = [x for x, _ in ring]
    ys = [y for _, y in ring]
    return min(xs), min(ys), max(xs), max(ys)


def extent(ring: Ring) -> float:
    """The longer side of a ring's bounding box, in viewBox units."""
    xs = [x for x, _ in ring]
    ys = [y for _, y in ring]
    return max(max(xs) - min(xs), max(ys) - min(ys))


def ring_path(ring: Ring) -> str:
    """One closed subpath: an absolute move, then relative lines, which are shorter."""
    numbers = []
    for (x0, y0), (x1, y1) in itertools.pairwise(ring):
        numbers += (x1 - x0, y1 - y0)
    return f"M{ring[0][0]} {ring[0][1]}l{join_numbers(numbers)}z"


def join_numbers(values: list[int]) -> str:
    """Integers of a path, with a space only where the next one has no "-" to start it."""
    return " ".join(map(str, values)).replace(" -", "-")
