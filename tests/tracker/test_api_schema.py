"""Schemathesis against the live OpenAPI schema (issue 5): property-based requests to every
operation under /api/v1/, on the seeded data, through a real HTTP server.

- Reads (GET) with valid parameters answer as the schema says: a documented status code,
  a documented content type and a body that matches the documented schema.
- Writes without a token (POST, PUT, PATCH, DELETE) are refused with the documented 401.
- Any request, including invalid parameters and bodies, is never a 500.

Bounded for CI: a fixed seed, a few examples per operation, no shrinking, no example
database on disk. The anonymous throttle is lifted for the run.
"""

from datetime import datetime

import pytest
import schemathesis
import time_machine
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import NEW_YORK

CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def bounded_config(mode: str, max_examples: int, keys: dict[str, list]) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": 20261122,
            "suppress-health-check": ["all"],
            "generation": {"mode": mode, "max-examples": max_examples, "no-shrink": True, "database": "none"},
            # The coverage phase sends edge values of each parameter; no TRACE and the like,
            # whose 405 is not part of any operation.
            "phases": {"coverage": {"unexpected-methods": []}},
            # Records that exist, rather than random keys that would all be 404s (which
            # test_api.py checks).
            "operations": [
                {"include-path-regex": f"^{prefix}{{", "parameters": {f"path.{name}": values[0]}}
                for prefix, (name, values) in keys.items()
            ],
        }
    )


@pytest.fixture
def live_api(transactional_db, live_server, settings):
    """A live server on the seeded database, on 2026-11-22 in New York, without throttling.

    The live server runs in a thread of this process: it sees the committed seed rows, the
    clock and the throttle rates set here (read on each request).
    """
    settings.API_ANON_RATE = settings.API_USER_RATE = "1000000/second"
    with time_machine.travel(datetime(2026, 11, 22, 12, 0, tzinfo=NEW_YORK), tick=True):
        from tracker.services import seed

        seed()
        yield f"{live_server.url}/api/schema/?format=json"


def existing_keys() -> dict[str, tuple[str, list]]:
    """By path prefix: the name of the path parameter, and values naming existing records."""
    from signatories.models import Action, DomesticStep, Participant
    from tracker.models import ReportedFigure, Source, Treaty

    def ids(model) -> tuple[str, list[int]]:
        return "id", list(model.objects.order_by("?").values_list("pk", flat=True)[:20])

    codes = list(
        Participant.objects.exclude(iso_alpha3=None).order_by("?").values_list("iso_alpha3", flat=True)[:10]
    )
    return {
        "/api/v1/treaties/": ("slug", list(Treaty.objects.values_list("slug", flat=True))),
        "/api/v1/participants/": (
            "key",
            codes + [code.lower() for code in codes] + ["european-union", "czech-republic"],
        ),
        "/api/v1/actions/": ids(Action),
        "/api/v1/domestic-steps/": ids(DomesticStep),
        "/api/v1/sources/": ids(Source),
        "/api/v1/reported-figures/": ids(ReportedFigure),
    }


def load(url: str, mode: str, max_examples: int):
    """The schema, with path parameters that name existing records, varied by a hook."""
    from hypothesis import strategies as st

    keys = existing_keys()
    schema = schemathesis.openapi.from_url(url, config=bounded_config(mode, max_examples, keys))

    def flatmap_path_parameters(context, path_parameters):
        path = context.operation.path
        name, known = next((key for prefix, key in keys.items() if path.startswith(prefix)), (None, []))
        if not path_parameters or name not in path_parameters:
            return st.just(path_parameters)
        return st.sampled_from(known).map(lambda value: path_parameters | {name: value})

    schema.hook(flatmap_path_parameters)
    return schema


@pytest.fixture
def valid_requests(live_api):
    return load(live_api, "positive", 15)


@pytest.fixture
def any_requests(live_api):
    return load(live_api, "all", 10)


valid = schemathesis.pytest.from_fixture("valid_requests")
anything = schemathesis.pytest.from_fixture("any_requests")


@valid.include(method="GET", path_regex="^/api/v1/").parametrize()
def test_every_read_answers_as_the_schema_says(case):
    case.call_and_validate(checks=CONFORMANCE)


@valid.include(method=["POST", "PUT", "PATCH", "DELETE"], path_regex="^/api/v1/").parametrize()
def test_every_write_without_a_token_is_the_documented_401(case):
    response = case.call_and_validate(checks=CONFORMANCE)
    assert response.status_code == 401, (
        f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}"
    )
    assert response.headers["www-authenticate"] == ["Token"]


@anything.include(path_regex="^/api/v1/").parametrize()
def test_no_request_is_a_server_error(case):
    case.call_and_validate(checks=[not_a_server_error])
