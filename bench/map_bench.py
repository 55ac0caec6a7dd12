"""Benchmark: the world map of 200 participants, drawn in this process, and its weight.

    .venv/bin/python bench/map_bench.py [--rounds 200]

Builds stand-in rows for every participant of fixtures/participants.csv (199, with the
statuses cycling) and prints: the first render (which decodes the atlas and lays out the
markers, once per process), then the median and 90th percentile of ``--rounds`` renders
of each kind, interleaved: linked with one Django ``reverse()`` per link (as the treaty
page once did), with one ``reverse()`` and each key put in (as it does now), and without
links; then the SVG's size and what it is made of. Needs no database. The load average
is printed before and after, as the figures mean little on a busy machine.
"""

import argparse
import csv
import itertools
import os
import re
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def rows():
    import pycountry

    from tracker.rules import ParticipantStatus

    statuses = itertools.cycle(ParticipantStatus)
    result = []
    with (ROOT / "fixtures" / "participants.csv").open(encoding="utf-8") as handle:
        for line in csv.DictReader(handle):
            iso3 = line["iso_alpha3"] or None
            participant = SimpleNamespace(
                name=line["untc_name"],
                slug=re.sub(r"\W+", "-", line["untc_name"].lower()).strip("-"),
                iso_alpha3=iso3,
                iso_numeric=pycountry.countries.get(alpha_3=iso3).numeric if iso3 else None,
            )
            result.append(SimpleNamespace(participant=participant, status=next(statuses)))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    import django

    django.setup()
    from django.urls import reverse

    from tracker.worldmap import render_world_map

    def key(row):
        return (row.participant.iso_alpha3 or row.participant.slug).lower()

    def reversed_link(row):
        return reverse("participant", args=[key(row)])

    template = reverse("participant", args=["--key--"])
    links = {
        "one reverse() per link": reversed_link,
        "one reverse(), the key put in (as the treaty page does)": lambda row: template.replace(
            "--key--", key(row)
        ),
        "no links": None,
    }
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    data = rows()
    start = time.perf_counter()
    rendering = render_world_map(data, link=links["one reverse() per link"])
    first = time.perf_counter() - start
    print(f"first render (decodes and lays out, once per process): {first * 1000:.0f} ms")
    timings = {name: [] for name in links}
    for _ in range(args.rounds):
        for name, link in links.items():  # interleaved, so a change of load hits all alike
            start = time.perf_counter()
            render_world_map(data, link=link)
            timings[name].append(time.perf_counter() - start)
    for name, seconds in timings.items():
        print(
            f"render, {name}, {args.rounds} rounds: median {statistics.median(seconds) * 1000:.2f} ms, "
            f"p90 {statistics.quantiles(seconds, n=10)[-1] * 1000:.2f} ms"
        )
    svg = str(rendering.svg)
    paths = sum(len(m) for m in re.findall(r' d="[^"]*"', svg))
    print(
        f"participants: {len(data)}, shapes with data-iso3: {svg.count('data-iso3=')}, "
        f"markers: {svg.count('<circle')}, off the map: {len(rendering.off_map)}"
    )
    print(f"SVG: {len(svg.encode())} bytes, of which path data {paths} bytes")
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
