"""The architecture as contracts: the import layers (pyproject.toml's [tool.importlinter]),
no import cycle between the two apps, and no signal receiver carrying a business effect."""

import subprocess
import sys
from pathlib import Path

import grimp
import pytest
from django.apps import apps
from django.conf import settings
from django.db.models.signals import m2m_changed, post_delete, post_save

ROOT = Path(settings.BASE_DIR)
OUR_APPS = ("tracker", "signatories")


def test_the_import_contracts_of_pyproject_toml_are_kept():
    lint_imports = Path(sys.executable).parent / "lint-imports"  # import-linter, in the virtualenv
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout, result.stdout


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of a directed graph (Tarjan's algorithm, iterative)."""
    index, low, on_stack, stack, components, counter = {}, {}, set(), [], [], [0]
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in graph:
                    continue
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph[child])))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    components.append(component)
    return components


def test_no_import_cycle_runs_through_both_tracker_and_signatories():
    graph = grimp.build_graph(*OUR_APPS, cache_dir=None)  # imports inside functions included
    edges = {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}
    mixed = [
        sorted(component)
        for component in strongly_connected(edges)
        if {module.split(".")[0] for module in component} >= set(OUR_APPS)
    ]
    assert mixed == []


def test_the_cycle_finder_finds_a_cycle_through_two_modules():
    components = strongly_connected({"a": {"b"}, "b": {"a", "c"}, "c": set()})
    assert sorted(map(sorted, components)) == [["a", "b"], ["c"]]


def our_receivers(signal) -> list[str]:
    """The receivers defined in our code (not simple-history's, say) that ``signal`` calls
    for any of our models or their many-to-many tables."""
    ours = [model for app in OUR_APPS for model in apps.get_app_config(app).get_models()]
    senders = set(ours) | {field.remote_field.through for model in ours for field in model._meta.many_to_many}
    found = []
    for sender in senders:
        sync, asynchronous = signal._live_receivers(sender)
        for receiver in [*sync, *asynchronous]:
            module = getattr(receiver, "__module__", "") or ""
            if module.split(".")[0] in (*OUR_APPS, "config"):
                found.append(f"{module}.{getattr(receiver, '__qualname__', receiver)} on {sender.__name__}")
    return found


@pytest.mark.parametrize("signal", [post_save, post_delete, m2m_changed], ids=["post_save", "post_delete", "m2m_changed"])
def test_no_receiver_of_ours_listens_to_our_models_saves_deletes_or_relations(signal):
    assert our_receivers(signal) == []


def test_the_receiver_check_would_see_a_receiver_of_ours():
    from signatories.models import Action

    def bump(**kwargs):
        pass

    bump.__module__ = "tracker.signals"
    m2m_changed.connect(bump, sender=Action.sources.through, weak=False, dispatch_uid="test-architecture-probe")
    try:
        assert our_receivers(m2m_changed) == ["tracker.signals.test_the_receiver_check_would_see_a_receiver_of_ours.<locals>.bump on Action_sources"]
    finally:
        m2m_changed.disconnect(sender=Action.sources.through, dispatch_uid="test-architecture-probe")


def test_the_signals_module_is_gone():
    assert not (ROOT / "tracker" / "signals.py").exists()
