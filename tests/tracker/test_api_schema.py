"""Schemathesis against the live OpenAPI schema (issue 5): property-based requests to every
operation under /api/v1/, on the seeded data, through the project's WSGI application.

- Reads (GET) with valid parameters answer as the schema says: a documented status code,
  a documented content type and a body that matches the documented schema.
- Writes without a token (POST, PUT, PATCH, DELETE) are refused with the documented 401.
- Any request, including invalid parameters and bodies, is never a 500.

Bounded for CI: a fixed seed, a few examples per operation, no shrinking, no example
database on disk. The anonymous throttle is lifted for the run.
"""


import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)


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
            ]
            # A write that the schema allows may still break a rule of the records that JSON
            # Schema cannot say (a date before the treaty's adoption, a second signature, an
            # unknown participant or treaty): a 400 naming the field is the right answer.
            + [
                {
                    "include-method": ["POST", "PUT", "PATCH"],
                    "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401", "403", "404", "409", "413", "429"]}},
                }
            ],
        }
    )


@pytest.fixture
def api_app(seeded, settings):
    """The project's WSGI application, with every middleware, on the seeded database at
    noon on 2026-11-22 in New York, without throttling.

    Schemathesis calls it in this thread, so it sees the test's own transaction: no live
    server, and no reseeding a database that other tests then have to empty. (A real
    server answers the same application in tests/test_embedded_defaults.py.)
    """
    settings.API_ANON_RATE = settings.API_USER_RATE = "1000000/second"
    from django.core import signals
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections

    # As Django's test client does: the end of a request must not close the connection
    # that holds the test's transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


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


def load(app, mode: str, max_examples: int):
    """The schema, with path parameters that name existing records, varied by a hook."""
    from hypothesis import strategies as st

    keys = existing_keys()
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app,
                                            config=bounded_config(mode, max_examples, keys))  # fmt: skip

    def flatmap_path_parameters(context, path_parameters):
        path = context.operation.path
        name, known = next((key for prefix, key in keys.items() if path.startswith(prefix)), (None, []))
        if not path_parameters or name not in path_parameters:
            return st.just(path_parameters)
        return st.sampled_from(known).map(lambda value: path_parameters | {name: value})

    schema.hook(flatmap_path_parameters)
    return schema


@pytest.fixture
def editor_token(api_app):
    """The key of a new editor's token (the admin role that records actions)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from rest_framework.authtoken.models import Token

    from tests.helpers import ensure_roles

    ensure_roles()
    user = get_user_model().objects.create_user(username="schema-editor", password="not-used")
    user.groups.add(Group.objects.get(name="editor"))
    return Token.objects.create(user=user).key


@pytest.fixture
def any_requests(api_app):
    return load(api_app, "all", 10)


anything = schemathesis.pytest.from_fixture("any_requests")


@anything.include(path_regex="^/api/v1/").parametrize()
def test_every_anonymous_request_passes_every_check(case):
    case.call_and_validate()


@anything.include(path_regex="^/api/v1/").parametrize()
def test_every_request_with_an_editor_s_token_passes_every_check(case, editor_token):
    case.call_and_validate(headers={"Authorization": f"Token {editor_token}"})
