"""Schemathesis against ``/api/v1/openapi.json`` on a live server with the demo organisation: every
operation, as a member and as a coordinator (bearer tokens), with a bounded number of generated
requests and a fixed seed. Any 5xx, undocumented status, wrong content type or answer that does not
match the description fails, naming the operation and the request that showed it."""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.accounts.models import User
from app.accounts.services import issue_api_token
from app.demo import seed_demo
from app.extensions import db
from tests.e2e.conftest import running_server

#: Generated requests per operation and caller (the issue: bounded; CI keeps it under a few minutes).
EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "12"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
CALLERS = {"member": "M0001", "coordinator": "C0001"}


@pytest.fixture(scope="module")
def api_server(app, tmp_root):
    """A live server of its own (the fuzzer writes freely), seeded with the demo organisation, and
    a bearer token for each caller."""
    with running_server(app, tmp_root, "api-fuzz") as live:
        with live.app.app_context():
            seed_demo(members_per_branch=4)  # the membership demo needs three per branch
            tokens = {}
            for role, employee_no in CALLERS.items():
                user = db.session.scalar(db.select(User).filter_by(employee_no=employee_no))
                _row, tokens[role] = issue_api_token(user, "schemathesis", actor=user)
            db.session.commit()
        live.tokens = tokens
        yield live


def _fuzz(operation, base_url: str, headers: dict) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # a failure is reported as found: no shrinking
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS, timeout=30)

    run()


@pytest.mark.parametrize("role", list(CALLERS))
def test_every_operation_answers_as_described(api_server, role):
    schema = schemathesis.openapi.from_url(f"{api_server}/api/v1/openapi.json")
    headers = {"Authorization": f"Bearer {api_server.tokens[role]}"}
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        try:
            _fuzz(operation, f"{api_server}/api/v1", headers)
        except (
            Exception,
            BaseExceptionGroup,
        ) as exc:  # Schemathesis' FailureGroup: all are reported together
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert operations >= 60
    assert not failures, "\n\n".join(failures)
