"""The timeline chart tells the truth at a glance: the instruments on a scale that reaches
the threshold, the signatories on a panel of their own, the deadline and the date of entry
into force marked, a day after today drawn as a projection, and all of it under the CSP."""

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from signatories.models import Participant
from signatories.services import record_action
from tests.conftest import TODAY
from tracker import charts
from tracker.middleware import style_hash
from tracker.snapshots import snapshot

SVG = "{http://www.w3.org/2000/svg}"
TREATY = "/treaties/hanoi-convention/"


def chart(treaty, day: date, today: date = TODAY) -> ET.Element:
    return ET.fromstring(charts.timeline_svg(snapshot(treaty, day), today=today))


def elements(svg: ET.Element, tag: str, css_class: str) -> list[ET.Element]:
    return [e for e in svg.iter(SVG + tag) if css_class in e.get("class", "").split()]


def texts(svg: ET.Element) -> list[str]:
    return [e.text or "" for e in svg.iter(SVG + "text")]


def ys(polyline: ET.Element) -> list[float]:
    return [float(point.split(",")[1]) for point in polyline.get("points").split()]


def xs(polyline: ET.Element) -> list[float]:
    return [float(point.split(",")[0]) for point in polyline.get("points").split()]


def ratify(treaty, count: int, first_day: date, last_day: date) -> None:
    """Made up for the tests: ``count`` signatories ratify, the last of them on ``last_day``."""
    states = (
        Participant.objects.filter(actions__treaty=treaty, kind="state").distinct().order_by("name")[:count]
    )
    for number, state in enumerate(states):
        day = last_day if number == count - 1 else first_day
        record_action(treaty=treaty, participant=state, kind="ratification", date=day)


def test_the_instruments_scale_reaches_the_threshold_so_the_gap_shows(seeded):
    svg = chart(seeded, TODAY)
    (threshold,) = elements(svg, "line", "threshold")
    (instruments,) = elements(svg, "polyline", "series-instruments")
    threshold_y = float(threshold.get("y1"))
    panel = charts.INSTRUMENTS
    assert panel.top <= threshold_y < panel.bottom
    # 0 of 40: the line lies on the panel's floor, the threshold well above it.
    assert max(ys(instruments)) == pytest.approx(panel.bottom)
    assert panel.bottom - threshold_y > 0.6 * (panel.bottom - panel.top)
    assert "Threshold: 40 instruments" in texts(svg)
    assert "40 still needed" in texts(svg)


def test_the_signatories_have_a_panel_and_a_scale_of_their_own(seeded):
    svg = chart(seeded, TODAY)
    (signatories,) = elements(svg, "polyline", "series-signatories")
    (instruments,) = elements(svg, "polyline", "series-instruments")
    lower, upper = charts.SIGNATORIES, charts.INSTRUMENTS
    assert all(lower.top <= y <= lower.bottom for y in ys(signatories))
    assert all(upper.top <= y <= upper.bottom for y in ys(instruments))
    # 68 signatories stand high on their own scale, which is not the threshold's.
    assert min(ys(signatories)) < lower.top + 0.3 * (lower.bottom - lower.top)
    titles = [e.text for e in elements(svg, "text", "panel-title")]
    assert titles == ["Instruments counted toward entry into force (40 needed)", "Signatories"]


def test_the_signature_deadline_is_a_labelled_marker_on_its_day(seeded):
    svg = chart(seeded, TODAY)
    (deadline,) = elements(svg, "line", "marker-deadline")
    january = next(e for e in svg.iter(SVG + "text") if e.text == "Jan 2027")
    x = float(deadline.get("x1"))
    assert float(january.get("x")) - 2 < x < float(january.get("x"))  # 31 December: a day before
    assert "Signature deadline, 31 Dec 2026" in texts(svg)
    assert not elements(svg, "line", "marker-entry-into-force")  # 0 of 40: no date yet


def test_a_projected_entry_into_force_is_marked_as_projected(seeded):
    ratify(seeded, 40, date(2026, 2, 2), date(2026, 11, 20))
    svg = chart(seeded, TODAY)
    (marker,) = elements(svg, "line", "marker-entry-into-force")
    # The 90th day after the 40th instrument: 20 November 2026 + 90 days.
    assert "Enters into force 18 Feb 2027 (projected)" in texts(svg)
    assert float(marker.get("x1")) > float(elements(svg, "line", "marker-deadline")[0].get("x1"))
    assert not elements(svg, "line", "gap")  # nothing still needed


def test_an_actual_entry_into_force_is_marked_as_past(seeded):
    ratify(seeded, 40, date(2026, 2, 2), date(2026, 3, 1))
    svg = chart(seeded, TODAY)
    assert "Entered into force 30 May 2026" in texts(svg)
    (instruments,) = elements(svg, "polyline", "series-instruments")
    (threshold,) = elements(svg, "line", "threshold")
    assert min(ys(instruments)) == pytest.approx(float(threshold.get("y1")))  # 40: on the line


def test_labels_of_close_markers_do_not_share_a_row(seeded):
    # Entry into force 90 days after 2 October 2026: 31 December 2026, the deadline's day.
    ratify(seeded, 40, date(2026, 2, 2), date(2026, 10, 2))
    svg = chart(seeded, TODAY)
    labels = elements(svg, "text", "marker-label")
    assert len(labels) == 2
    assert labels[0].get("y") != labels[1].get("y")


def test_a_future_day_is_drawn_as_a_projection_from_today(seeded):
    svg = chart(seeded, date(2027, 6, 30))
    projected = elements(svg, "polyline", "projected")
    assert {e.get("class") for e in projected} == {
        "series series-signatories projected", "series series-instruments projected"
    }  # fmt: skip
    (today,) = elements(svg, "line", "marker-today")
    for line in projected:
        assert min(xs(line)) == pytest.approx(float(today.get("x1")), abs=0.1)
    assert "Records end today, 22 Nov 2026" in texts(svg)
    desc = svg.find(SVG + "desc").text
    assert desc.startswith("Projected from the records as of 22 November 2026: the state on 30 June 2027")


def test_today_s_chart_has_no_projection(seeded):
    svg = chart(seeded, TODAY)
    assert not elements(svg, "polyline", "projected") and not elements(svg, "line", "marker-today")


def test_a_day_before_adoption_draws_flat_lines_forward_in_time(seeded):
    svg = chart(seeded, date(2020, 1, 1))
    for line in elements(svg, "polyline", "series"):
        assert xs(line) == sorted(xs(line))
        assert max(ys(line)) == min(ys(line))  # nothing signed or deposited yet


def test_the_chart_has_a_title_and_a_description_in_words(seeded):
    svg = chart(seeded, TODAY)
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "timeline-title timeline-desc"
    assert svg.find(SVG + "title").text == "Hanoi Convention: instruments counted and signatories over time"
    desc = svg.find(SVG + "desc").text
    assert "On 22 November 2026, 0 of the 40 instruments needed for entry into force were counted" in desc
    assert "(40 still needed), and there were 68 signatories." in desc
    assert "Signature deadline, 31 Dec 2026." in desc


def test_the_page_keeps_the_chart_s_figures_as_a_table(client, seeded):
    html = client.get(TREATY).content.decode()
    section = html[html.index('id="timeline-heading"') :]
    table = section[: section.index("</table>")]
    assert table.count("<tr><td>") == len(snapshot(seeded, TODAY).timeline) > 0


def test_the_chart_is_styled_by_classes_and_its_style_is_allowed_by_the_policy(client, seeded):
    response = client.get(TREATY)
    html = response.content.decode()
    svg = html[html.index('<svg class="timeline-chart"') :]
    svg = svg[: svg.index("</svg>")]
    assert not re.search(r"<[^>]+\s(style|fill|stroke)=", svg), "a style or colour attribute in the chart"
    assert f"<style>{charts.STYLE}</style>" in svg
    assert style_hash(charts.STYLE) in response["Content-Security-Policy"]


def test_the_chart_takes_its_colours_from_the_status_palette(settings):
    palette = (settings.BASE_DIR / "tracker" / "static" / "tracker" / "palette.css").read_text()
    used = set(re.findall(r"var\((--status-[a-z-]+)", charts.STYLE))
    assert {"--status-signed", "--status-deposited", "--status-in-force"} <= used
    for name in used:
        assert f"{name}:" in palette, name


def test_a_treaty_without_a_rule_has_no_threshold_line(seeded):
    seeded.threshold = None
    svg = ET.fromstring(charts.timeline_svg(snapshot(seeded, TODAY), today=TODAY))
    assert not elements(svg, "line", "threshold")
    assert not any(text.startswith("Threshold") for text in texts(svg))


@pytest.mark.parametrize(
    ("value", "scale"),
    [(0, (1, 1)), (1.1, (2, 1)), (7, (8, 2)), (44, (50, 10)), (74.8, (80, 20)), (199, (200, 50))],
)
def test_an_axis_ends_on_a_round_number_above_its_values(value, scale):
    assert charts.nice_scale(value) == scale


def test_the_time_axis_labels_few_months_however_long_the_span():
    months = charts.axis_months(date(2025, 10, 18), date(2027, 3, 4))
    assert months[0] == date(2026, 1, 1) and months[-1] == date(2027, 1, 1)
    assert all((b.year * 12 + b.month) - (a.year * 12 + a.month) == 3 for a, b in zip(months, months[1:]))
    assert len(charts.axis_months(date(1900, 1, 1), date(2999, 1, 1) - timedelta(days=1))) <= charts.LABELS


def test_the_chart_s_table_lists_each_day_with_both_counts_on_the_treaty_page(client, seeded, pinned_today):
    from tracker.snapshots import snapshot

    html = client.get("/treaties/hanoi-convention/").content.decode()
    table = html[html.index("The chart's figures as a table") :]
    table = table[: table.index("</table>")]
    points = snapshot(seeded, pinned_today).timeline
    assert points and table.count("<tr>") == len(points) + 1  # and the header's
    first = points[0]
    assert (
        f'<tr><td><time class="date" datetime="{first.day:%Y-%m-%d}">{first.day:%Y-%m-%d}</time></td>'
        f"<td>{first.signatories}</td><td>{first.instruments_counted}</td></tr>"
    ) in table
