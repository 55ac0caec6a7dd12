"""The world map of participants: shapes, statuses, accessibility and the TopoJSON decoding.

Most tests draw stand-in rows (plain objects with the attributes of a ParticipantRow), built
from the seed's participant list and pycountry's codes as the seed does, so they need no
database.
"""

import csv
import itertools
import re
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pycountry
import pytest
from django.conf import settings

from tracker import worldmap
from tracker.rules import ParticipantStatus
from tracker.worldmap import STATUS_LABELS, render_world_map

S = ParticipantStatus
PARTICIPANTS_CSV = Path(settings.BASE_DIR) / "fixtures" / "participants.csv"
# Fixed statuses for the countries the tests look at; the others cycle through the statuses.
KNOWN = {"FRA": S.SIGNED, "BRA": S.DEPOSITED, "VNM": S.IN_FORCE, "CZE": S.NOT_SIGNED, "AUS": S.SIGNED}


def row(name, iso3, numeric, status=S.SIGNED):
    participant = SimpleNamespace(
        name=name, slug=name.lower().replace(" ", "-"), iso_alpha3=iso3, iso_numeric=numeric
    )
    return SimpleNamespace(participant=participant, status=status)


def all_rows():
    """A row per seeded participant, with the ISO numeric code the seed gives it."""
    rows = []
    statuses = itertools.cycle(S)
    with PARTICIPANTS_CSV.open(encoding="utf-8") as handle:
        for line in csv.DictReader(handle):
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


def title_of(element) -> str:
    return next(child.text for child in element.children if child.tag == "title")


def focusable(elements) -> list[Element]:
    return [e for e in elements if "tabindex" in e.attrs or (e.tag == "a" and "href" in e.attrs)]


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


def largest_part(d: str):
    """The bounding box of the largest subpath: a country without its far-off islands."""
    boxes = [bbox(points) for points in subpaths(d)]
    return max(boxes, key=lambda b: (b[2] - b[0]) * (b[3] - b[1]))


@pytest.fixture(scope="module")
def rows():
    return all_rows()


@pytest.fixture(scope="module")
def rendering(rows):
    return render_world_map(rows)


@pytest.fixture(scope="module")
def elements(rendering):
    return parse(rendering.svg)


def test_each_participant_country_is_one_shape_carrying_its_iso3(rows, rendering, elements):
    shapes = shapes_by_iso3(elements)
    for iso3 in ("FRA", "BRA", "VNM", "CZE", "AUS", "USA", "RUS", "CHN", "IND", "NGA"):
        assert len(shapes[iso3]) == 1, iso3
        assert shapes[iso3][0].tag == "path" and shapes[iso3][0].attrs["d"].startswith("M")
    assert all(len(found) == 1 for found in shapes.values())
    assert len(shapes) == len(rows) - len(rendering.off_map)


@pytest.mark.parametrize("iso3", sorted(KNOWN))
def test_a_participants_status_is_in_its_class_data_status_label_and_title(elements, iso3):
    status = KNOWN[iso3]
    (shape,) = shapes_by_iso3(elements)[iso3]
    name = {"FRA": "France", "BRA": "Brazil", "VNM": "Viet Nam", "CZE": "Czech Republic", "AUS": "Australia"}[
        iso3
    ]
    words = STATUS_LABELS[status][0].lower() + STATUS_LABELS[status][1:]
    assert shape.attrs["class"].split() == ["country", f"status-{status.value}"]
    assert shape.attrs["data-status"] == status.value
    assert shape.attrs["aria-label"] == f"{name}: {words}"
    assert title_of(shape) == f"{name}: {words}"


def test_status_labels_name_every_status_for_people():
    assert STATUS_LABELS == {
        S.NOT_SIGNED: "Not signed",
        S.SIGNED: "Signed",
        S.DEPOSITED: "Instrument deposited",
        S.IN_FORCE: "In force for it",
    }


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
    (link,) = [e for e in parse(svg) if e.tag == "a"]
    assert link.attrs["href"] == '/p/"><script>alert(1)</script>'
    assert link.attrs["aria-label"] == "A <b> & C: signed"


def test_tuvalu_the_eu_the_holy_see_and_tiny_states_are_off_the_map(rendering, elements):
    off = {r.participant.name for r in rendering.off_map}
    assert {"Tuvalu", "European Union", "Holy See", "Nauru", "Monaco", "San Marino", "Maldives"} <= off
    assert not off & {"France", "Italy", "Fiji", "Jamaica", "Cyprus"}
    drawn = shapes_by_iso3(elements)
    assert not {"TUV", "NRU", "MCO", "SMR", "MDV", "VAT"} & drawn.keys()


def test_off_map_keeps_the_order_of_the_rows(rows, rendering):
    assert rendering.off_map == [r for r in rows if r in rendering.off_map]


def test_every_focusable_element_has_an_aria_label_with_or_without_links(rows, elements):
    linked = parse(render_world_map(rows, link=lambda r: f"/participants/{r.participant.slug}/").svg)
    for markup in (elements, linked):
        targets = focusable(markup)
        assert len(targets) > 150
        assert all(e.attrs.get("aria-label") for e in targets)
    # With links the link takes the focus: the path inside is not a second stop.
    assert all(e.tag == "a" and "tabindex" not in e.attrs for e in focusable(linked))
    paths = [path for found in shapes_by_iso3(linked).values() for path in found]
    assert all(
        "tabindex" not in p.attrs and "aria-label" not in p.attrs and p.parent.tag == "a" for p in paths
    )


def test_links_point_to_the_participants_page(rows):
    rendering = render_world_map(rows, link=lambda r: f"/participants/{r.participant.slug}/")
    (france,) = shapes_by_iso3(parse(rendering.svg))["FRA"]
    assert france.parent.attrs == {"href": "/participants/france/", "aria-label": "France: signed"}


def test_focusable_shapes_come_in_the_order_of_names(elements):
    names = [e.attrs["aria-label"].rsplit(":", 1)[0] for e in focusable(elements)]
    assert names.index("Afghanistan") == 0 and names[-1] == "Zimbabwe"
    assert names.index("Côte d'Ivoire") < names.index("Croatia")  # accents do not sort last


def test_a_feature_of_no_participant_is_drawn_neutral_without_iso3(rows, elements):
    shapes, _ = worldmap.atlas()
    greenland = [e for e in elements if e.attrs.get("d") == shapes["304"].d]
    assert len(greenland) == 1
    assert greenland[0].attrs == {"class": "country no-data", "d": shapes["304"].d}
    neutral = [e for e in elements if "no-data" in e.attrs.get("class", "")]
    assert len(neutral) >= 30  # territories, Taiwan, Kosovo, W. Sahara…
    assert not any("data-iso3" in e.attrs or "tabindex" in e.attrs for e in neutral)
    # The same feature is a participant's shape once a participant has its code.
    drawn = parse(render_world_map([*rows, row("Greenland", "GRL", "304")]).svg)
    assert shapes_by_iso3(drawn)["GRL"][0].attrs["d"] == shapes["304"].d


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
    assert "Tuvalu" in desc.text and "European Union" in desc.text


def test_decoding_puts_countries_where_they_are(elements):
    shapes = shapes_by_iso3(elements)
    width, height = worldmap.WIDTH, worldmap.HEIGHT
    x0, y0, x1, y1 = bbox([p for part in subpaths(shapes["CAN"][0].attrs["d"]) for p in part])
    assert x1 < width / 2 and y1 < height / 2  # west and north
    x0, y0, x1, y1 = bbox([p for part in subpaths(shapes["AUS"][0].attrs["d"]) for p in part])
    assert x0 > width / 2 and y0 > height / 2  # east and south
    # Mainland France (French Guiana and Réunion are part of France too) holds Paris.
    x0, y0, x1, y1 = largest_part(shapes["FRA"][0].attrs["d"])
    paris_x, paris_y = worldmap.to_viewbox(2.35, 48.86)
    assert x0 < paris_x < x1 and y0 < paris_y < y1 < height / 2
    assert 20 < x1 - x0 < 40 and 20 < y1 - y0 < 40  # about 13° by 9° of Equal Earth


def test_the_projection_fills_the_view_box():
    assert (worldmap.WIDTH, worldmap.HEIGHT) == (960, 468)
    assert worldmap.to_viewbox(0, 0) == pytest.approx((480, 233.6), abs=0.1)
    assert worldmap.to_viewbox(-180, 0)[0] == pytest.approx(0) and worldmap.to_viewbox(180, 0)[
        0
    ] == pytest.approx(960)
    assert worldmap.to_viewbox(0, 90)[1] == pytest.approx(0)


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
    arcs = worldmap.projected_arcs(topology)
    polygons = worldmap.decode_polygons({"type": "MultiPolygon", "arcs": [[[0, 1]], [[2, ~1]]]}, arcs)

    def expected(*lonlats):
        return [tuple(round(v * 10) for v in worldmap.to_viewbox(*p)) for p in lonlats]

    assert polygons[0] == [expected((10, 0), (0, 0), (0, 10), (10, 10))]
    assert polygons[1] == [expected((10, 10), (20, 10), (20, 0), (10, 0))]


def test_a_ring_across_the_180th_meridian_is_cut_into_one_ring_on_each_edge():
    topology = {"arcs": [[[170, 60], [-170, 60], [-170, 70], [170, 70], [170, 60]]]}
    rings = worldmap.stitch_rings([0], worldmap.projected_arcs(topology))
    assert len(rings) == 2
    for ring in rings:
        xs = [x / 10 for x, _ in ring]
        assert max(xs) - min(xs) < 60  # not a band across the whole map
    assert {min(x for x, _ in ring) < 4800 for ring in rings} == {True, False}


def test_russia_and_fiji_stay_off_the_middle_of_the_map(elements):
    for iso3 in ("RUS", "FJI"):
        for part in subpaths(shapes_by_iso3(elements)[iso3][0].attrs["d"]):
            x0, _, x1, _ = bbox(part)
            assert x1 - x0 < worldmap.WIDTH / 2, iso3


def test_antarctica_is_left_out():
    shapes, _ = worldmap.atlas()
    assert "010" not in shapes and "250" in shapes


def test_the_legend_tells_statuses_apart_by_pattern_and_label(rendering):
    legend = parse(rendering.legend)
    labels = [e.text for e in legend if e.tag == "li"]
    assert labels == [
        "Not signed", "Signed", "Instrument deposited", "In force for it", "Withdrawn", "Not a participant"
    ]
    assert all(e.attrs.get("aria-hidden") == "true" for e in legend if e.tag == "svg")
    svg = str(rendering.svg)
    for pattern in ("world-map-hatch", "world-map-dots", "world-map-cross"):
        assert f'<pattern id="{pattern}"' in svg and f"fill:url(#{pattern})" in svg
    assert ".world-map-legend .status-signed" in svg and ":focus-visible" in svg and ":hover" in svg


def test_rendering_twice_gives_the_same_svg(rows, rendering):
    again = render_world_map(list(rows))
    assert again.svg == rendering.svg and again.legend == rendering.legend


def test_a_render_after_the_first_takes_milliseconds(rows):
    render_world_map(rows)
    timings = []
    for _ in range(5):
        start = time.perf_counter()
        render_world_map(rows)
        timings.append(time.perf_counter() - start)
    # Generous for a busy machine; decoding the atlas per call would take ~300 ms.
    assert sorted(timings)[2] < 0.05


def test_the_seeded_participants_draw_as_their_countries(seeded):
    from tracker.snapshots import snapshot

    page = snapshot(seeded, seeded.signature_opens_on)
    rendering = render_world_map(page.rows)
    shapes = shapes_by_iso3(parse(rendering.svg))
    assert len(shapes) + len(rendering.off_map) == len(page.rows)
    assert {"FRA", "VNM", "CZE", "BRA"} <= shapes.keys()
    assert {"Tuvalu", "European Union"} <= {r.participant.name for r in rendering.off_map}


def test_crimea_is_drawn_as_part_of_ukraine_as_the_un_holds():
    import json

    topology = json.loads(worldmap.DATA_FILE.read_text(encoding="utf-8"))
    arcs = worldmap.projected_arcs(topology)
    coded = {
        g["id"]: worldmap.decode_polygons(g, arcs)
        for g in topology["objects"]["countries"]["geometries"]
        if g.get("id") in (worldmap.RUSSIA, worldmap.UKRAINE)
    }
    assert sum(worldmap.in_crimea(p[0]) for p in coded[worldmap.RUSSIA]) == 1  # as Natural Earth has it
    worldmap.move_crimea_to_ukraine(coded)
    assert not any(worldmap.in_crimea(p[0]) for p in coded[worldmap.RUSSIA])
    assert sum(worldmap.in_crimea(p[0]) for p in coded[worldmap.UKRAINE]) == 1
