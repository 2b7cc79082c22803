"""The fuzz run: schemathesis over every operation and filter of the OpenAPI schema.

Requests generated from /api/schema/, valid and invalid, go to the WSGI app (no server) as
a signed-in user of each level; none may answer 5xx, a documented answer must match the
schema, and every refusal must be JSON. Bounded: a fixed seed, a few examples per
operation and mode, and path ids drawn mostly from records that exist.
"""

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, models
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from fuwushe.org.models import Club, Community, Department
from members.models import Member, MemberTransfer, PartyApplicant
from tests.scoping.world import World

pytestmark = pytest.mark.django_db

# One of each level: center administrator, department administrator, club director, and
# the club's part-time staff.
PEOPLE = ["carol", "dora", "alice", "bob"]

# Examples per operation, person and mode (valid or invalid data): 22 operations x 4
# people x 2 modes x this, on a 2-core machine.
EXAMPLES = 6
# Signed in as the person throughout: no credentials generated in place of theirs.
CONFIG = schemathesis.Config.from_dict({"generation": {"with-security-parameters": False}})

# Path ids are drawn from these records (visible or not to the user) more often than not,
# so that details, changes and transfer decisions reach real rows.
RECORDS: dict[str, type[models.Model]] = {
    "/api/members/": Member,
    "/api/member-transfers/": MemberTransfer,
    "/api/party-applicants/": PartyApplicant,
    "/api/clubs/": Club,
    "/api/communities/": Community,
    "/api/departments/": Department,
}


@schemathesis.check
def refusals_are_json(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every 4xx answer is JSON with a message, as the API promises."""
    if 400 <= response.status_code < 500:
        content_type = response.headers.get("content-type", [""])[0]
        assert content_type.startswith("application/json"), (response.status_code, content_type)
        assert response.json(), response.status_code
    return None


CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    refusals_are_json,
]


@pytest.fixture
def app() -> Iterator[Any]:
    """The project's WSGI app, keeping the test's transaction open between requests.

    Django's test client does the same: a request's end would otherwise close the
    connection and with it the transaction the test runs in.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def auth(world: World, person: str) -> dict[str, str]:
    token, _ = Token.objects.get_or_create(user=world.people[person])
    return {"Authorization": f"Token {token.key}"}


def _known_ids(path: str) -> list[str]:
    for prefix, model in RECORDS.items():
        if path.startswith(prefix):
            pks = model._default_manager.order_by("pk").values_list("pk", flat=True)
            return [str(pk) for pk in pks]
    return []


# Schemathesis's WSGI transport asks for gzip but does not decompress what it gets (an HTTP
# client would); the answers' compression has its own test (tests/fuwushe/test_change_list_pages).
PLAIN = {"Accept-Encoding": "identity"}


def _takes_input(operation: Any) -> bool:
    return any(True for _ in operation.iter_parameters()) or bool(operation.body)


def _fuzz(operation: Any, mode: GenerationMode, auth: dict[str, str]) -> None:
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(case=operation.as_strategy(generation_mode=mode), pick=st.integers(0, 9))
    def run(case: Any, pick: int) -> None:
        known = _known_ids(case.path)
        if "id" in (case.path_parameters or {}) and known and pick < 7:
            case.path_parameters["id"] = known[pick % len(known)]
        case.call_and_validate(headers={**auth, **PLAIN}, checks=CHECKS)

    run()


@pytest.mark.parametrize("person", PEOPLE)
def test_no_request_from_the_schema_gets_a_server_error(
    app: Any, auth: dict[str, str], subtests: pytest.Subtests
) -> None:
    schema = schemathesis.openapi.from_wsgi(
        "/api/schema/", app, headers={**auth, **PLAIN}, config=CONFIG
    )
    results = list(schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results) >= 20, "every operation of the schema loads"

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if mode is GenerationMode.NEGATIVE and not _takes_input(operation):
                continue  # /api/me/: nothing to send wrong
            with subtests.test(msg=f"{operation.label} ({mode.value})"):
                _fuzz(operation, mode, auth)
