"""The world map of participants: shapes, markers, statuses, colours, keyboard order and
the TopoJSON decoding.

Most tests draw stand-in rows (plain objects with the attributes of a ParticipantRow), built
from the seed's participant list and pycountry's codes as the seed does, so they need no
database. The list of UN members and observer States comes from the seed's list
(fixtures/participants.csv), not from the map's own tracker/map_data/states.csv.
"""

import csv
import itertools
import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pycountry
import pytest
from django.conf import settings

from tracker import worldmap
from tracker.map_data import atlas
from tracker.rules import ParticipantStatus
from tracker.worldmap import STATUS_LABELS, render_world_map

S = ParticipantStatus
BASE = Path(settings.BASE_DIR)
PARTICIPANTS_CSV = BASE / "fixtures" / "participants.csv"
PALETTE_CSS = BASE / "tracker" / "static" / "tracker" / "palette.css"
# Fixed statuses for the countries the tests look at; the others cycle through the statuses.
KNOWN = {"FRA": S.SIGNED, "BRA": S.DEPOSITED, "VNM": S.IN_FORCE, "CZE": S.NOT_SIGNED, "AUS": S.SIGNED}
# The 29 UN members that the map once had no shape to point at for.
SMALL_MEMBERS = {
    "AND", "ATG", "BHR", "BRB", "COM", "CPV", "DMA", "FSM", "GRD", "KIR", "KNA", "LCA", "LIE", "LUX",
    "MCO", "MDV", "MHL", "MLT", "MUS", "NRU", "PLW", "SGP", "SMR", "STP", "SYC", "TON", "TUV", "VCT", "WSM",
}  # fmt: skip
# At 1280 px the page shows the map 1120 px wide (main is 72rem less its padding).
PX = 1120 / atlas.WIDTH


def row(name, iso3, numeric, status=S.SIGNED):
    participant = SimpleNamespace(
        name=name, slug=name.lower().replace(" ", "-"), iso_alpha3=iso3, iso_numeric=numeric
    )
    return SimpleNamespace(participant=participant, status=status)


def seed_lines():
    with PARTICIPANTS_CSV.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def un_states() -> dict[str, str]:
    """The UN's 193 members and its 2 observer States, ISO alpha-3 to name, from the seed."""
    return {
        line["iso_alpha3"]: line["untc_name"]
        for line in seed_lines()
        if line["un_member"] == "yes" or "observer State" in line["note"]
    }


def all_rows():
    """A row per seeded participant, with the ISO numeric code the seed gives it."""
    rows = []
    statuses = itertools.cycle(S)
    for line in seed_lines():
        iso3 = line["iso_alpha3"] or None
        numeric = pycountry.countries.get(alpha_3=iso3).numeric if iso3 else None
        status = KNOWN.get(iso3, next(statuses))
        rows.append(row(line["untc_name"], iso3, numeric, status))
    return rows


@dataclass
class Element:
    tag: str
    attrs: dict
    parent: "Element | None"
    children: list = field(default_factory=list)
    text: str = ""


class SvgParser(HTMLParser):
    """Every element of the markup, with its attributes, parent and text."""

    def __init__(self):
        super().__init__()
        self.elements: list[Element] = []
        self.open: list[Element] = []

    def handle_starttag(self, tag, attrs):
        self.open.append(self.add(tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.add(tag, attrs)

    def add(self, tag, attrs):
        parent = self.open[-1] if self.open else None
        element = Element(tag, dict(attrs), parent)
        if parent:
            parent.children.append(element)
        self.elements.append(element)
        return element

    def handle_endtag(self, tag):
        while self.open and self.open.pop().tag != tag:
            pass

    def handle_data(self, data):
        if self.open:
            self.open[-1].text += data


def parse(markup) -> list[Element]:
    parser = SvgParser()
    parser.feed(str(markup))
    parser.close()
    return parser.elements


def shapes_by_iso3(elements) -> dict[str, list[Element]]:
    found: dict[str, list[Element]] = {}
    for element in elements:
        if "data-iso3" in element.attrs:
            found.setdefault(element.attrs["data-iso3"], []).append(element)
    return found


def is_focusable(element) -> bool:
    return element.attrs.get("tabindex") == "0" or (element.tag == "a" and "href" in element.attrs)


def focusable(elements) -> list[Element]:
    return [e for e in elements if is_focusable(e)]


def stop_of(shape) -> Element:
    """The keyboard stop a shape belongs to: its link, or its group with a tabindex."""
    element = shape
    while not is_focusable(element):
        element = element.parent
    return element


def name_of(stop) -> str:
    """The accessible name of a stop: its <title> child (SVG-AAM), as Chromium computes it."""
    return next(child.text for child in stop.children if child.tag == "title")


NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)")


def subpaths(d: str) -> list[list[tuple[float, float]]]:
    """The points of each subpath of a ``d`` made of M, relative l and z commands."""
    result = []
    for part in filter(None, d.split("M")):
        absolute, _, relative = part.rstrip("z").partition("l")
        x, y = map(float, NUMBER.findall(absolute))
        points = [(x, y)]
        deltas = list(map(float, NUMBER.findall(relative)))
        for dx, dy in zip(deltas[::2], deltas[1::2], strict=True):
            x, y = x + dx, y + dy
            points.append((x, y))
        result.append(points)
    return result


def bbox(points):
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def area(points) -> float:
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1]))) / 2


def largest_part(d: str):
    """The bounding box of the largest subpath: a country without its far-off islands."""
    return bbox(max(subpaths(d), key=area))


def plain_key(name: str) -> str:
    """Names as a reader sorts them: accents and case make no difference."""
    text = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()


@pytest.fixture(scope="module")
def rows():
    return all_rows()


@pytest.fixture(scope="module")
def rendering(rows):
    return render_world_map(rows)


@pytest.fixture(scope="module")
def elements(rendering):
    return parse(rendering.svg)


@pytest.fixture(scope="module")
def linked(rows):
    return render_world_map(
        rows, link=lambda r: f"/participants/{(r.participant.iso_alpha3 or r.participant.slug).lower()}/"
    )


# Every State, named and focusable ------------------------------------------------------


@pytest.mark.parametrize(
    "link", [None, lambda r: f"/participants/{r.participant.slug}/"], ids=["plain", "linked"]
)
def test_every_un_member_and_observer_is_one_named_focusable_shape(rows, link):
    shapes = shapes_by_iso3(parse(render_world_map(rows, link=link).svg))
    expected = un_states()
    assert len(expected) == 195
    assert expected.keys() <= shapes.keys(), sorted(expected.keys() - shapes.keys())
    for iso3, name in expected.items():
        assert len(shapes[iso3]) == 1, iso3
        stop = stop_of(shapes[iso3][0])
        assert re.fullmatch(
            rf"{re.escape(name)}: (not signed|signed|instrument deposited|in force for it)", name_of(stop)
        )


def test_a_state_that_is_no_participant_is_still_drawn_and_named_so():
    # A treaty of three participants: every other State is on the map all the same.
    rows = [row("France", "FRA", "250"), row("Nauru", "NRU", "520", S.IN_FORCE), row("Brazil", "BRA", "076")]
    elements = parse(render_world_map(rows, link=lambda r: "/p/").svg)
    shapes = shapes_by_iso3(elements)
    assert len(shapes) >= 195
    assert name_of(stop_of(shapes["NRU"][0])) == "Nauru: in force for it"
    assert name_of(stop_of(shapes["TUV"][0])) == "Tuvalu: not a participant"
    assert name_of(stop_of(shapes["DEU"][0])) == "Germany: not a participant"
    tuvalu = stop_of(shapes["TUV"][0])
    assert tuvalu.tag == "g" and tuvalu.attrs["tabindex"] == "0" and "href" not in tuvalu.attrs
    assert shapes["DEU"][0].attrs["class"] == "none" and shapes["FRA"][0].attrs["class"] == "signed"


@pytest.mark.parametrize("iso3", sorted(KNOWN))
def test_a_participants_status_is_in_its_class_and_its_name(elements, iso3):
    status = KNOWN[iso3]
    (shape,) = shapes_by_iso3(elements)[iso3]
    name = {"FRA": "France", "BRA": "Brazil", "VNM": "Viet Nam", "CZE": "Czech Republic", "AUS": "Australia"}[
        iso3
    ]
    words = STATUS_LABELS[status][0].lower() + STATUS_LABELS[status][1:]
    assert shape.attrs["class"] == status.value
    assert name_of(stop_of(shape)) == f"{name}: {words}"


def test_status_labels_name_every_status_for_people():
    assert STATUS_LABELS == {
        S.NOT_SIGNED: "Not signed",
        S.SIGNED: "Signed",
        S.DEPOSITED: "Instrument deposited",
        S.IN_FORCE: "In force for it",
    }


def test_a_withdrawn_participant_has_its_own_class_and_words():
    withdrawn = row("Poland", "POL", "616", S.NOT_SIGNED)
    withdrawn.standing = worldmap.WITHDRAWN
    (shape,) = shapes_by_iso3(parse(render_world_map([withdrawn]).svg))["POL"]
    assert shape.attrs["class"] == "withdrawn"
    assert name_of(stop_of(shape)) == "Poland: withdrawn"


def test_names_are_escaped_and_cannot_inject_markup():
    rows = [
        row("A <b> & C", "FRA", "250"),
        row('Off "map" <script>', None, None, S.DEPOSITED),
    ]
    rendering = render_world_map(rows, link=lambda r: '/p/"><script>alert(1)</script>')
    svg = str(rendering.svg)
    assert "<b>" not in svg and "<script>" not in svg
    assert "A &lt;b&gt; &amp; C: signed" in svg
    assert "Off &quot;map&quot; &lt;script&gt;" in svg  # in the <desc>
    (france,) = shapes_by_iso3(parse(svg))["FRA"]
    link = stop_of(france)
    assert link.attrs["href"] == '/p/"><script>alert(1)</script>'
    assert name_of(link) == "A <b> & C: signed"


def test_only_participants_without_a_place_of_their_own_are_off_the_map(rows, rendering, elements):
    off = {r.participant.name for r in rendering.off_map}
    assert off == {"European Union", "Yugoslavia (former)"}
    drawn = shapes_by_iso3(elements)
    assert {"TUV", "NRU", "MCO", "SMR", "MDV", "VAT", "PSE", "COK", "NIU"} <= drawn.keys()
    assert len(drawn) + len(rendering.off_map) == len(rows)


def test_off_map_keeps_the_order_of_the_rows(rows, rendering):
    assert rendering.off_map == [r for r in rows if r in rendering.off_map]


def test_with_links_the_link_is_the_only_stop_and_the_shape_inside_is_not_one(linked):
    elements = parse(linked.svg)
    stops = focusable(elements)
    assert len(stops) >= 195
    assert all(e.tag == "a" and "tabindex" not in e.attrs and name_of(e) for e in stops)
    for found in shapes_by_iso3(elements).values():
        assert not any(is_focusable(shape) for shape in found)
        assert stop_of(found[0]).tag == "a"


def test_links_point_to_the_participants_page(rows):
    rendering = render_world_map(rows, link=lambda r: f"/participants/{r.participant.slug}/")
    (france,) = shapes_by_iso3(parse(rendering.svg))["FRA"]
    assert france.parent.attrs == {"href": "/participants/france/"}
    assert name_of(france.parent) == "France: signed"


def test_the_keyboard_goes_through_the_map_in_the_order_of_names(elements):
    names = [name_of(stop).rsplit(":", 1)[0] for stop in focusable(elements)]
    assert names == sorted(names, key=plain_key)
    assert names[0] == "Afghanistan" and names[-1] == "Zimbabwe"
    assert names.index("Côte d'Ivoire") < names.index("Croatia")  # accents do not sort last
    # Markers take their turn among the outlines, not after them.
    assert names.index("Namibia") < names.index("Nauru") < names.index("Nepal")
    assert names.index("Turkmenistan") < names.index("Tuvalu") < names.index("Uganda")


# Small States: markers big enough to point at ------------------------------------------


def markers(elements) -> dict[str, Element]:
    return {e.attrs["data-iso3"]: e for e in elements if e.tag == "circle" and "data-iso3" in e.attrs}


def centre(circle) -> tuple[float, float]:
    return float(circle.attrs["cx"]), float(circle.attrs["cy"])


def test_the_small_members_are_markers(elements):
    found = markers(elements)
    assert SMALL_MEMBERS <= found.keys(), sorted(SMALL_MEMBERS - found.keys())
    assert {"VAT", "PSE"} <= found.keys()  # the observer States too
    assert not {"FRA", "BRA", "ITA", "USA", "CHN"} & found.keys()


@pytest.mark.parametrize(
    "iso3, lon, lat",
    [
        # Capitals (or the main island), from an atlas, not from the map's data.
        ("TUV", 179.19, -8.52),  # Funafuti
        ("NRU", 166.93, -0.53),  # Nauru
        ("MCO", 7.42, 43.74),  # Monaco
        ("SGP", 103.82, 1.35),  # Singapore
        ("MLT", 14.51, 35.90),  # Valletta
        ("VAT", 12.45, 41.90),  # Vatican City
        ("MDV", 73.51, 4.17),  # Malé
        ("BRB", -59.60, 13.10),  # Bridgetown
    ],
)
def test_a_marker_is_at_its_states_place(elements, iso3, lon, lat):
    x, y = centre(markers(elements)[iso3])
    px, py = atlas.to_viewbox(lon, lat)
    # Pushed aside at most a few marker widths where markers crowd (Europe, the Caribbean).
    assert math.hypot(x - px, y - py) < 30, (iso3, (x, y), (px, py))


def test_no_shape_is_too_small_to_point_at(elements):
    for iso3, (shape,) in shapes_by_iso3(elements).items():
        if shape.tag == "circle":
            assert float(shape.attrs["r"]) * 2 * PX >= 8, iso3  # 8 px across at least
            continue
        part = max(subpaths(shape.attrs["d"]), key=area)
        x0, y0, x1, y1 = bbox(part)
        assert min(x1 - x0, y1 - y0) * PX >= 3, iso3
        assert area(part) * PX * PX >= 10, iso3


def test_markers_do_not_overlap_each_other(elements):
    circles = list(markers(elements).values())
    for a, b in itertools.combinations(circles, 2):
        gap = math.dist(centre(a), centre(b)) - float(a.attrs["r"]) - float(b.attrs["r"])
        assert gap >= 1, (a.attrs["data-iso3"], b.attrs["data-iso3"])


def test_outlines_are_clipped_around_every_marker_so_none_covers_one(elements):
    (clip,) = [e for e in elements if e.tag == "clippath"]
    assert clip.attrs["id"] == "world-map-holes"
    assert "g path:not(.leader){clip-path:url(#world-map-holes)}" in worldmap.STYLE
    (hole_path,) = clip.children
    assert hole_path.attrs["clip-rule"] == "evenodd"
    holes = re.findall(r"M(-?[\d.]+) (-?[\d.]+)a([\d.]+) ", hole_path.attrs["d"])
    discs = {(float(x) + float(r), float(y)): float(r) for x, y, r in holes}
    for iso3, circle in markers(elements).items():
        assert discs.get(centre(circle), 0) > float(circle.attrs["r"]), iso3


def test_a_marker_pushed_aside_has_a_line_back_to_its_place(elements):
    # Leader lines go from a place to the edge of its marker.
    leader = [e for e in elements if e.attrs.get("class") == "leader"]
    assert len(leader) <= 1
    if leader:
        assert leader[0].parent.attrs.get("aria-hidden") == "true"
        assert re.fullmatch(r"(M-?\d+ -?\d+L-?\d+ -?\d+)+", leader[0].attrs["d"])


# Colours ------------------------------------------------------------------------------

# Machado, Oliveira & Fernandes (2009), severity 1.0, on linear RGB.
CVD = {
    "protanopia": [
        [0.152286, 1.052583, -0.204868],
        [0.114503, 0.786281, 0.099216],
        [-0.003882, -0.048116, 1.051998],
    ],
    "deuteranopia": [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ],
    "tritanopia": [
        [1.255528, -0.076749, -0.178779],
        [-0.078411, 0.930809, 0.147602],
        [0.004733, 0.691367, 0.303900],
    ],
    "normal vision": [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
}
# CIE76 ΔE*ab: 2.3 is a just-noticeable difference; 15 tells two map fills apart at a glance.
DISTINCT = 15


def palette_css() -> dict[str, str]:
    text = PALETTE_CSS.read_text(encoding="utf-8")
    return {
        name: value.lower() for name, value in re.findall(r"--status-([\w-]+):\s*(#[0-9a-fA-F]{6})", text)
    }


def linear(colour: str) -> list[float]:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    return [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]


def lab(rgb: list[float]) -> tuple[float, float, float]:
    r, g, b = (min(1.0, max(0.0, v)) for v in rgb)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t):
        return t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def seen(colour: str, vision: str) -> tuple[float, float, float]:
    matrix, rgb = CVD[vision], linear(colour)
    return lab([sum(m * c for m, c in zip(line, rgb, strict=True)) for line in matrix])


def luminance(colour: str) -> float:
    r, g, b = linear(colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_palette_defines_a_colour_for_each_standing_and_no_data():
    colours = palette_css()
    assert set(colours) == {"not-signed", "signed", "deposited", "in-force", "withdrawn", "none"}
    assert len(set(colours.values())) == 6


@pytest.mark.parametrize("vision", sorted(CVD))
def test_each_pair_of_status_colours_stays_distinct_under_colour_blindness(vision):
    colours = palette_css()
    for (a, colour_a), (b, colour_b) in itertools.combinations(colours.items(), 2):
        difference = math.dist(seen(colour_a, vision), seen(colour_b, vision))
        assert difference >= DISTINCT, f"{a} and {b} are {difference:.1f} apart under {vision}"


def test_the_simulation_would_catch_a_red_green_pair():
    # The test above can fail: red and green, the classic confusion, collapse under deuteranopia.
    assert math.dist(seen("#d62728", "deuteranopia"), seen("#2ca02c", "deuteranopia")) < DISTINCT
    assert math.dist(seen("#d62728", "normal vision"), seen("#2ca02c", "normal vision")) > 3 * DISTINCT


def test_the_map_fills_come_from_the_palettes_custom_properties():
    colours = palette_css()
    for standing, css in [("not_signed", "not-signed"), ("signed", "signed"), ("deposited", "deposited"),
                          ("in_force", "in-force"), ("none", "none")]:  # fmt: skip
        assert (
            f".world-map .{standing},.world-map-legend .{standing}{{fill:var(--status-{css},{colours[css]})}}"
            in worldmap.STYLE
        )
    # Withdrawn: its colour, with a hatching over it as a second cue.
    assert (
        ".world-map .withdrawn,.world-map-legend .withdrawn{fill:url(#world-map-withdrawn)}" in worldmap.STYLE
    )
    assert f"withdrawn-ground{{fill:var(--status-withdrawn,{colours['withdrawn']})}}" in worldmap.STYLE
    assert '<pattern id="world-map-withdrawn"' in worldmap.PATTERNS


def test_markers_outline_contrasts_with_the_page_and_every_fill():
    # The rule of markers alone, after the one they share with outlines.
    outline = re.search(r"\}\.world-map circle\{stroke:(#[0-9a-f]{6})", worldmap.STYLE).group(1)
    for name, colour in palette_css().items():
        assert contrast(outline, colour) >= 3, name
    assert contrast(outline, "#ffffff") >= 3


def test_the_legend_names_every_standing_and_the_marker(rendering):
    legend = parse(rendering.legend)
    labels = [e.text for e in legend if e.tag == "li"]
    assert labels == [
        "Not signed", "Signed", "Instrument deposited", "In force for it", "Withdrawn", "Not a participant",
        "Small State (a circle at its place)",
    ]  # fmt: skip
    assert all(e.attrs.get("aria-hidden") == "true" for e in legend if e.tag == "svg")
    swatches = [e.attrs["class"] for e in legend if e.tag in ("rect", "circle")]
    assert swatches[:6] == ["not_signed", "signed", "deposited", "in_force", "withdrawn", "none"]
    assert ":focus-visible" in worldmap.STYLE and ":hover" in worldmap.STYLE


# Size and rendering ---------------------------------------------------------------------


def test_the_map_of_two_hundred_linked_participants_weighs_under_60_kb(linked):
    size = len(str(linked.svg).encode())
    assert size < 60_000, f"the map is {size} bytes"


def test_rendering_twice_gives_the_same_svg(rows, rendering):
    again = render_world_map(list(rows))
    assert again.svg == rendering.svg and again.legend == rendering.legend


def test_the_geometry_is_worked_out_once_per_process(rows):
    render_world_map(rows)
    before = worldmap.map_layout.cache_info().hits
    render_world_map(rows)
    render_world_map(rows[:3])
    info = worldmap.map_layout.cache_info()
    assert info.misses == 1 and info.hits == before + 2


def test_the_desc_counts_the_participants_in_each_status(rows, elements):
    (desc,) = [e for e in elements if e.tag == "desc"]
    svg_tag = elements[0]
    assert (
        svg_tag.attrs["aria-labelledby"] == "world-map-title world-map-desc"
        and desc.attrs["id"] == "world-map-desc"
    )
    counts = {status: sum(1 for r in rows if r.status == status) for status in S}
    assert desc.text.startswith(
        f"{len(rows)} participants: {counts[S.NOT_SIGNED]} not signed, {counts[S.SIGNED]} signed, "
        f"{counts[S.DEPOSITED]} with an instrument deposited, {counts[S.IN_FORCE]} for which it is in force."
    )
    assert "Small States are drawn as circles" in desc.text
    assert "Not on the map" in desc.text and "European Union" in desc.text and "Tuvalu" not in desc.text


def test_a_feature_of_no_participant_and_no_state_is_drawn_neutral_without_iso3(rows, elements):
    outlines, _ = atlas.atlas()
    greenland = [e for e in elements if e.attrs.get("d") == outlines["304"].d]
    assert len(greenland) == 1
    assert greenland[0].attrs == {"class": "none", "d": outlines["304"].d}
    assert greenland[0].parent.attrs == {"aria-hidden": "true"}
    # The same feature is a participant's shape once a participant has its code.
    drawn = parse(render_world_map([*rows, row("Greenland", "GRL", "304")]).svg)
    assert shapes_by_iso3(drawn)["GRL"][0].attrs["d"] == outlines["304"].d


def test_the_seeded_participants_draw_as_their_countries(seeded):
    from tracker.snapshots import snapshot

    page = snapshot(seeded, seeded.signature_opens_on)
    rendering = render_world_map(page.rows)
    shapes = shapes_by_iso3(parse(rendering.svg))
    assert len(shapes) >= 195
    assert {"FRA", "VNM", "CZE", "BRA", "TUV", "NRU"} <= shapes.keys()
    assert "European Union" in {r.participant.name for r in rendering.off_map}


# Decoding ------------------------------------------------------------------------------


def test_decoding_puts_countries_where_they_are(elements):
    shapes = shapes_by_iso3(elements)
    width, height = atlas.WIDTH, atlas.HEIGHT
    x0, y0, x1, y1 = bbox([p for part in subpaths(shapes["CAN"][0].attrs["d"]) for p in part])
    assert x1 < width / 2 and y1 < height / 2  # west and north
    x0, y0, x1, y1 = bbox([p for part in subpaths(shapes["AUS"][0].attrs["d"]) for p in part])
    assert x0 > width / 2 and y0 > height / 2  # east and south
    # Mainland France (French Guiana and Réunion are part of France too) holds Paris.
    x0, y0, x1, y1 = largest_part(shapes["FRA"][0].attrs["d"])
    paris_x, paris_y = atlas.to_viewbox(2.35, 48.86)
    assert x0 < paris_x < x1 and y0 < paris_y < y1 < height / 2
    assert 40 < x1 - x0 < 80 and 40 < y1 - y0 < 80  # about 13° by 9° of Equal Earth


def test_the_projection_fills_the_view_box():
    assert (atlas.WIDTH, atlas.HEIGHT) == (1920, 935)
    assert atlas.to_viewbox(0, 0) == pytest.approx((960, 467.3), abs=0.1)
    assert atlas.to_viewbox(-180, 0)[0] == pytest.approx(0)
    assert atlas.to_viewbox(180, 0)[0] == pytest.approx(1920)
    assert atlas.to_viewbox(0, 90)[1] == pytest.approx(0)


def test_the_map_stops_at_60_degrees_south_with_all_its_land_inside(elements):
    svg_tag = elements[0]
    _, _, width, height = map(float, svg_tag.attrs["viewbox"].split())  # the parser lowercases names
    assert width == atlas.WIDTH and height == pytest.approx(atlas.to_viewbox(0, -60)[1], abs=1)
    outlines = [e for e in elements if e.tag == "path" and e.parent.tag in ("g", "a") and "d" in e.attrs]
    for shape in (e for e in outlines if e.attrs.get("class") != "leader"):
        for part in subpaths(shape.attrs["d"]):
            x0, y0, x1, y1 = bbox(part)
            assert 0 <= x0 and x1 <= width and 0 <= y0 and y1 <= height
    for circle in markers(elements).values():
        x, y = centre(circle)
        r = float(circle.attrs["r"])
        assert r <= x <= width - r and r <= y <= height - r


def test_a_tiny_topology_decodes_deltas_and_reversed_arcs():
    # Two squares sharing the arc 1; the second walks it backwards as ~1.
    topology = {
        "transform": {"scale": [1, 1], "translate": [0, 0]},
        "arcs": [
            [[10, 0], [-10, 0], [0, 10], [10, 0]],
            [[10, 10], [0, -10]],
            [[10, 10], [10, 0], [0, -10], [-10, 0]],
        ],
    }
    arcs = atlas.projected_arcs(topology)
    polygons = atlas.decode_polygons({"type": "MultiPolygon", "arcs": [[[0, 1]], [[2, ~1]]]}, arcs)

    def expected(*lonlats):
        return [tuple(round(v) for v in atlas.to_viewbox(*p)) for p in lonlats]

    assert polygons[0] == [expected((10, 0), (0, 0), (0, 10), (10, 10))]
    assert polygons[1] == [expected((10, 10), (20, 10), (20, 0), (10, 0))]


def test_a_ring_across_the_180th_meridian_is_cut_into_one_ring_on_each_edge():
    topology = {"arcs": [[[170, 60], [-170, 60], [-170, 70], [170, 70], [170, 60]]]}
    rings = atlas.stitch_rings([0], atlas.projected_arcs(topology))
    assert len(rings) == 2
    for ring in rings:
        xs = [x for x, _ in ring]
        assert max(xs) - min(xs) < 120  # not a band across the whole map
    assert {min(x for x, _ in ring) < 960 for ring in rings} == {True, False}


def test_a_tiny_island_keeps_its_centre_even_when_too_small_to_draw():
    outlines, _ = atlas.atlas()
    vatican = outlines["336"]
    assert vatican.d == ""  # smaller than a viewBox unit at 1:50m
    assert math.dist(vatican.centre, atlas.to_viewbox(12.45, 41.90)) < 1


def test_russia_and_fiji_stay_off_the_middle_of_the_map(elements):
    for iso3 in ("RUS", "FJI"):
        for shape in shapes_by_iso3(elements)[iso3]:
            for part in subpaths(shape.attrs.get("d", "")) if shape.tag == "path" else []:
                x0, _, x1, _ = bbox(part)
                assert x1 - x0 < atlas.WIDTH / 2, iso3


def test_antarctica_is_left_out():
    outlines, _ = atlas.atlas()
    assert "010" not in outlines and "250" in outlines


def test_crimea_is_drawn_as_part_of_ukraine_as_the_un_holds():
    topology = json.loads(atlas.DATA_FILE.read_text(encoding="utf-8"))
    arcs = atlas.projected_arcs(topology)
    coded = {
        g["id"]: atlas.decode_polygons(g, arcs)
        for g in topology["objects"]["countries"]["geometries"]
        if g.get("id") in (atlas.RUSSIA, atlas.UKRAINE)
    }
    assert sum(atlas.in_crimea(p[0]) for p in coded[atlas.RUSSIA]) == 1  # as Natural Earth has it
    atlas.move_crimea_to_ukraine(coded)
    assert not any(atlas.in_crimea(p[0]) for p in coded[atlas.RUSSIA])
    assert sum(atlas.in_crimea(p[0]) for p in coded[atlas.UKRAINE]) == 1
