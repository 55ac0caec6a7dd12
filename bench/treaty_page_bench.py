"""Benchmark: the treaty page computed afresh, for a treaty the size of the CRC, part by part.

    .venv/bin/python bench/treaty_page_bench.py [--rounds 15] [--database NAME] [--redis-url URL]
                                                [--profile N]

Run it from the project's folder. In a scratch PostgreSQL database (``--database``, default
``tracker_treaty_page_bench``: dropped, migrated and seeded, dropped at the end; the Redis
database of ``--redis-url`` is emptied) it adds the treaty of bench/scale_bench.py: 200
participants, each with a signature and a ratification (400 actions). Then, in this process
(Django's RequestFactory, the view past its page cache), it prints the median of
``--rounds`` rounds of the trivial view and of the treaty page (goal: under 40 ms), its
queries and size, without sources (scale_bench's figure) and with 600 citations of 201
made-up sources, as a real page has them. Beside each wall-clock median is the median CPU
time of this process, which the load of other processes inflates least (the database's own
work is not in it).

Last, where the page's time goes: each part timed inside the real view, by wrapping the
functions and template includes it calls (the snapshot, the rest of the headline, the map,
the timeline, the table's filter and its template, the other templates), the time spent
waiting for the database, and the rest (the view's own work, the base template).
``--profile N`` adds cProfile's N most expensive functions over the rounds. The load
average is printed before and after.
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

import _server

# Where the time goes: a part is a function of the view's modules, or a template include.
FUNCTIONS = [
    ("snapshot", "tracker.views", "snapshot"),
    ("headline, past the snapshot", "tracker.views", "headline"),
    ("map (worldmap)", "tracker.views", "render_world_map"),
    ("timeline chart", "tracker.charts", "timeline_svg"),
    ("table: filter and sort", "tracker.tables", "apply"),
]
TEMPLATES = {
    "tracker/_participants_table.html": "table template",
    "tracker/_map.html": "map template",
    "tracker/_timeline.html": "timeline template",
    "tracker/_headline.html": "headline template",
    "tracker/_facts.html": "facts template",
}


class Parts:
    """Wall and CPU time and queries by part, over the rounds. A part's own time leaves out
    the parts called inside it (the headline's snapshot is the snapshot's), and the time
    spent waiting for the database is a part of its own, "database queries"."""

    QUERIES = "database queries"

    def __init__(self):
        self.wall = defaultdict(list)
        self.cpu = defaultdict(list)
        self.queries = defaultdict(int)
        self.stack = []
        self.round = defaultdict(lambda: [0.0, 0.0])

    @staticmethod
    def now() -> tuple[float, float]:
        return time.perf_counter(), time.process_time()

    @contextmanager
    def part(self, name):
        self.stack.append([name, self.now(), [0.0, 0.0]])
        try:
            yield
        finally:
            name, started, inner = self.stack.pop()
            took = [end - start for end, start in zip(self.now(), started, strict=True)]
            own = self.round[name]
            for clock in (0, 1):
                own[clock] += took[clock] - inner[clock]
                if self.stack:
                    self.stack[-1][2][clock] += took[clock]

    def query(self, execute, sql, params, many, context):
        self.queries[self.stack[-1][0] if self.stack else "rest"] += 1
        with self.part(self.QUERIES):
            return execute(sql, params, many, context)

    def end_round(self, wall: float, cpu: float):
        rest = self.round["rest"]
        rest[0] += wall - sum(took[0] for took in self.round.values())
        rest[1] += cpu - sum(took[1] for took in self.round.values())
        for name, (wall_part, cpu_part) in self.round.items():
            self.wall[name].append(wall_part * 1000)
            self.cpu[name].append(cpu_part * 1000)
        self.round.clear()


def cite_made_up_sources(slug: str) -> None:
    """Sources for the treaty's actions, as a real page has them: one page cited by every
    action (the depositary's list) and a page of its own for each ratification."""
    from signatories.models import Action
    from tracker.models import Source

    shared = Source.objects.create(url="https://example.org/depositary-list", publisher="Made-up depositary",
                                   title="Status of the made-up treaty")  # fmt: skip
    actions = list(Action.objects.filter(treaty__slug=slug).select_related("participant"))
    ratifications = [a for a in actions if a.kind == "ratification"]
    own = Source.objects.bulk_create(
        Source(url=f"https://example.org/press/{a.pk}", publisher="Made-up ministry",
               title=f"{a.participant.name} ratifies <the treaty> & more")
        for a in ratifications
    )  # fmt: skip
    links = Action.sources.through
    rows = [links(action_id=a.pk, source_id=shared.pk) for a in actions]
    rows += [links(action_id=a.pk, source_id=s.pk) for a, s in zip(ratifications, own, strict=True)]
    links.objects.bulk_create(rows)


def instrument(parts: Parts):
    """Wrap the view's functions and the template includes so that ``parts`` times them."""
    import importlib

    from django.template.loader_tags import IncludeNode

    for label, module_name, attribute in FUNCTIONS:
        module = importlib.import_module(module_name)
        original = getattr(module, attribute)

        def wrapped(*args, _original=original, _label=label, **kwargs):
            with parts.part(_label):
                return _original(*args, **kwargs)

        setattr(module, attribute, wrapped)
    render = IncludeNode.render

    def render_include(node, context):
        name = node.template.resolve(context)
        label = TEMPLATES.get(name) if isinstance(name, str) else None
        if label is None:
            return render(node, context)
        with parts.part(label):
            return render(node, context)

    IncludeNode.render = render_include


def measure(
    view,
    path: str,
    rounds: int,
    parts: Parts | None = None,
    profile: cProfile.Profile | None = None,
    **kwargs,
):
    """Median ms of ``view`` on ``path`` past its page cache, its queries, its bytes, and the
    median CPU ms of this process (what the load of other processes inflates least; the
    database's own work is not in it)."""
    from django.db import connection
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    factory = RequestFactory()
    raw = getattr(view, "__wrapped__", view)
    response = raw(factory.get(path), **kwargs)  # warm up imports, templates, the atlas
    assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as queries:
        size = len(raw(factory.get(path), **kwargs).content)
    times, cpu = [], []
    for _ in range(rounds):
        if parts:
            parts.round.clear()
            parts.stack.clear()
        wrapper = connection.execute_wrapper(parts.query) if parts else _nothing()
        with wrapper:
            if profile:
                profile.enable()
            started, started_cpu = time.perf_counter(), time.process_time()
            raw(factory.get(path), **kwargs)
            took = time.perf_counter() - started
            cpu.append((time.process_time() - started_cpu) * 1000)
            if profile:
                profile.disable()
        times.append(took * 1000)
        if parts:
            parts.end_round(took, cpu[-1] / 1000)
    return statistics.median(times), len(queries), size, statistics.median(cpu)


@contextmanager
def _nothing():
    yield


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--database", default="tracker_treaty_page_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--profile", type=int, default=0, help="print cProfile's N most expensive functions")
    args = parser.parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="treaty-page-bench-"))
    env = _server.environment(args.database, args.redis_url, var_dir, None)
    print(f"load before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    _server.prepare_database(sys.executable, env, args.database, args.redis_url)
    _server.run([sys.executable, "manage.py", "collectstatic", "--no-input"], env, timeout=120)
    os.environ.update(env)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    import scale_bench

    from tracker import views

    try:
        trivial, *_ = measure(views.healthz, "/healthz/", args.rounds * 20)
        slug = scale_bench.crc_sized_treaty()
        path = f"/treaties/{slug}/"
        print(f"trivial view: {trivial:.3f} ms")
        took, queries, size, cpu = measure(views.treaty_page, path, args.rounds, slug=slug)
        print(f"treaty page, 200 participants and 400 actions, no sources: median {took:.1f} ms "
              f"(CPU {cpu:.1f} ms) of {args.rounds} rounds, {queries} queries, {size / 1024:.0f} KiB "
              "(goal: under 40 ms)")  # fmt: skip
        cite_made_up_sources(slug)
        took, queries, size, cpu = measure(views.treaty_page, path, args.rounds, slug=slug)
        print(f"the same with 600 citations of 201 sources:    median {took:.1f} ms "
              f"(CPU {cpu:.1f} ms) of {args.rounds} rounds, {queries} queries, {size / 1024:.0f} KiB")  # fmt: skip
        if args.profile:
            profile = cProfile.Profile()
            measure(views.treaty_page, path, args.rounds, profile=profile, slug=slug)
        parts = Parts()
        instrument(parts)
        instrumented, _, _, instrumented_cpu = measure(views.treaty_page, path, args.rounds, parts, slug=slug)
        print(
            f"where the time goes, with the sources (instrumented: median {instrumented:.1f} ms, "
            f"CPU {instrumented_cpu:.1f} ms), each part's medians:"
        )
        print(f"  {'part':<30}{'wall ms':>8}{'CPU ms':>8}{'queries':>9}")
        for name, values in sorted(parts.wall.items(), key=lambda item: -statistics.median(item[1])):
            wall, cpu = statistics.median(values), statistics.median(parts.cpu[name])
            print(f"  {name:<30}{wall:8.2f}{cpu:8.2f}{parts.queries[name] // args.rounds:9d}")
        if args.profile:
            pstats.Stats(profile).sort_stats("tottime").print_stats(args.profile)
    finally:
        print(f"load after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        from django.db import connections

        connections.close_all()
        _server.clean_up(None, args.database, args.redis_url, var_dir)


if __name__ == "__main__":
    main()
