"""Each API's OpenAPI tells the truth: schemathesis, with every check, finds no answer the
schema does not document, and the documentation pages work without the internet."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.failures import Failure, FailureGroup

from infra.settings import Settings
from tests.conftest import drop_schema, fresh_schema
from tests.e2e.stack import running
from tests.e2e.test_no_server_errors import Seeded, _seeded

# What the schema documents: a status (ST103), a content type (ST105), a required header
# (ST107) and a body's schema (ST108). Other checks run too; they judge the app, not the schema.
DOCUMENTATION_CHECKS = frozenset({"ST103", "ST105", "ST107", "ST108"})

CONFORMANCE = settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)

# These end the session the requests carry (or take the workspace away): they go last.
LAST = (
    "DELETE /api/workspaces/{workspace_id}",
    "POST /api/auth/password-reset/confirm",
    "POST /api/auth/password",
    "POST /api/auth/logout",
)


@pytest.fixture(scope="module")
def seeded(services: Settings) -> Iterator[Seeded]:
    own = fresh_schema(services)
    try:
        with running(own, "command-api", "read-api", "project") as stack:
            yield _seeded(stack)
    finally:
        drop_schema(own)


def _undocumented(seeded: Seeded, base_url: str) -> tuple[list[str], list[str]]:
    """Runs every check on generated requests, valid and invalid, to every operation.
    Returns the failures of the documentation checks, and the operations exercised."""
    schema = schemathesis.openapi.from_url(f"{base_url}/schema/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=lambda op: _order(f"{op.method.upper()} {op.path}"))
    failures: set[str] = set()
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @CONFORMANCE
            @given(case=operation.as_strategy(generation_mode=mode))
            def send(case: Any) -> None:
                # Half the cases aim at the real workspace and transaction, to get past the 404.
                if case.path_parameters and hash(repr(case.query)) % 2 == 0:
                    for name in case.path_parameters:
                        if name in seeded.ids:
                            case.path_parameters[name] = seeded.ids[name]
                response = case.call(base_url=base_url, headers=seeded.headers)
                try:
                    case.validate_response(response, headers=seeded.headers)
                except FailureGroup as group:
                    failures.update(_described(case, f) for f in _documentation(group.exceptions))
                except Failure as failure:
                    failures.update(_described(case, f) for f in _documentation([failure]))

            with contextlib.suppress(Unsatisfiable):  # nothing in it can be made invalid
                send()
    return sorted(failures), [f"{op.method.upper()} {op.path}" for op in operations]


def _order(operation: str) -> int:
    return LAST.index(operation) + 1 if operation in LAST else 0


def _documentation(failures: Any) -> list[Failure]:
    return [f for f in failures if isinstance(f, Failure) and f.code in DOCUMENTATION_CHECKS]


def _described(case: Any, failure: Failure) -> str:
    return f"{case.method} {case.path}: {failure.code} {failure.title}: {failure.message[:300]}"


def test_the_read_api_answers_nothing_its_schema_does_not_document(seeded: Seeded) -> None:
    failures, exercised = _undocumented(seeded, seeded.read_url)
    assert "GET /api/workspaces/{workspace_id}/exports/transactions" in exercised
    assert failures == []


def test_the_command_api_answers_nothing_its_schema_does_not_document(seeded: Seeded) -> None:
    failures, exercised = _undocumented(seeded, seeded.command_url)
    assert "POST /api/workspaces/{workspace_id}/transactions" in exercised
    assert failures == []


def _schema(base_url: str) -> dict[str, Any]:
    answer = httpx.get(f"{base_url}/schema/openapi.json", timeout=10)
    assert answer.status_code == 200, answer.text
    schema: dict[str, Any] = answer.json()
    return schema


def test_every_route_says_who_may_call_it(seeded: Seeded) -> None:
    commands = _schema(seeded.command_url)
    assert set(commands["components"]["securitySchemes"]) == {"session", "api_key"}
    paths = commands["paths"]
    assert paths["/api/auth/login"]["post"]["security"] == []
    assert paths["/api/auth/me"]["get"]["security"] == [{"session": []}]
    assert paths["/api/workspaces/{workspace_id}/transactions"]["post"]["security"] == [
        {"session": []},
        {"api_key": []},
    ]
    reads = _schema(seeded.read_url)["paths"]
    assert reads["/api/workspaces"]["get"]["security"] == [{"session": []}]
    assert reads["/api/workspaces/{workspace_id}/dashboard"]["get"]["security"] == [
        {"session": []},
        {"api_key": []},
    ]


def test_every_route_documents_its_problems_as_problem_details(seeded: Seeded) -> None:
    for base_url in (seeded.command_url, seeded.read_url):
        schema = _schema(base_url)
        assert "errors" in schema["components"]["schemas"]["Problem"]["properties"]
        for path, item in schema["paths"].items():
            for method, operation in item.items():
                responses = operation["responses"]
                if path.startswith("/api/"):
                    assert {"400", "429"} <= set(responses), (method, path)
                    assert "Retry-After" in responses["429"]["headers"], (method, path)
                for status, response in responses.items():
                    if int(status) >= 400 and path != "/health":
                        content = response["content"]["application/problem+json"]
                        assert content["schema"] == {"$ref": "#/components/schemas/Problem"}
                    if response.get("content"):
                        assert all(media.get("schema") for media in response["content"].values())


def test_the_headers_a_route_takes_and_gives_are_documented(seeded: Seeded) -> None:
    commands = _schema(seeded.command_url)["paths"]
    record = commands["/api/workspaces/{workspace_id}/transactions"]["post"]
    assert "Idempotency-Key" in {p["name"] for p in record["parameters"]}
    assert {"409", "422"} <= set(record["responses"])
    assert "RateLimit" in record["responses"]["201"]["headers"]
    amend = commands["/api/workspaces/{workspace_id}/transactions/{transaction_id}"]["patch"]
    assert "If-Match" in {p["name"] for p in amend["parameters"]}
    assert "412" in amend["responses"]
    assert "Idempotency-Key" not in {p["name"] for p in amend["parameters"]}

    reads = _schema(seeded.read_url)["paths"]
    dashboard = reads["/api/workspaces/{workspace_id}/dashboard"]["get"]
    assert {"min_position", "X-Min-Position"} <= {p["name"] for p in dashboard["parameters"]}
    assert "Retry-After" in dashboard["responses"]["503"]["headers"]
    assert dashboard["responses"]["200"]["headers"]["X-Projection-Position"]["required"]

    export = reads["/api/workspaces/{workspace_id}/exports/transactions"]["get"]
    assert set(export["responses"]["200"]["content"]) == {
        "text/csv",
        "application/json",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }


# What a page loads: src="…", href="…", url(…) and @import "…" (the schema it embeds may hold
# addresses as examples; those are data, not loaded).
_LOADED = re.compile(
    r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\(\s*["']?([^"')]+)|@import\s+["']([^"']+)"""
)


def test_the_documentation_pages_load_nothing_from_another_host(seeded: Seeded) -> None:
    for base_url in (seeded.command_url, seeded.read_url):
        with httpx.Client(base_url=base_url, timeout=10) as client:
            for page in ("/schema", "/schema/swagger", "/schema/redoc"):
                answer = client.get(page)
                assert answer.status_code == 200, (page, answer.text)
                assets = [next(filter(None, found)) for found in _LOADED.findall(answer.text)]
                assert any(asset.endswith(".js") for asset in assets), page
                for asset in assets:
                    assert asset.startswith("/schema/"), (page, asset)
                    assert client.get(asset).status_code == 200, (page, asset)
