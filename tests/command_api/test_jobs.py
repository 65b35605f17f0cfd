"""Admin jobs over HTTP: system ADMINs queue them, follow them and run due ones now."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest
from litestar.testing import TestClient

from command_api.admin_cli import change_system_role
from command_api.app import create_app
from infra.settings import Settings
from tests.api import PASSWORD, Api, User

ROUTES = (
    ("POST", "/api/admin/jobs", {"kind": "expire_idempotency_keys"}),
    ("GET", "/api/admin/jobs", None),
    ("GET", f"/api/admin/jobs/{uuid4()}", None),
    ("POST", "/api/jobs/process", {"limit": 1}),
)


def admin(api: Api, settings: Settings) -> User:
    user = api.user("Operator")
    change_system_role(settings, user.email, grant=True)
    return user


@pytest.fixture
def own_client(own_schema: Settings) -> Iterator[tuple[TestClient[Any], dict[str, str]]]:
    """An app on a schema of its own (a queue no other test fills), and its first sign-up:
    the schema's system ADMIN."""
    with TestClient(create_app(own_schema)) as client:
        email = f"first-{uuid4().hex[:8]}@example.com"
        client.post("/api/auth/signup", json={"email": email, "password": PASSWORD, "name": "F"})
        login = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        yield client, {"Authorization": f"Bearer {login.json()['access_token']}"}


def test_job_routes_answer_403_to_users_who_are_not_system_admins(api: Api) -> None:
    user = api.user()
    if api.commands.get("/api/auth/me", headers=user.headers).json()["system_role"] == "ADMIN":
        user = api.user()  # the first sign-up of the schema is its admin
    for method, path, body in ROUTES:
        response = api.commands.request(method, path, json=body, headers=user.headers)
        assert response.status_code == 403, (method, path, response.text)
    assert api.commands.get("/api/admin/jobs").status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "mine_bitcoin"}, "kind"),
        ({"kind": "rebuild_projection", "params": {"name": "relay"}}, "params.name"),
        ({"kind": "rebuild_projection", "params": {}}, "params.name"),
        (
            {"kind": "recategorize_uncategorized", "params": {"workspace_id": "x"}},
            "params.workspace_id",
        ),
        ({"kind": "send_due_digests", "params": {"at": "now"}}, "params.at"),
        ({"kind": "send_due_digests", "params": []}, "params"),
    ],
)
def test_an_unknown_kind_or_bad_params_is_400_naming_the_field(
    api: Api, settings: Settings, body: dict[str, Any], field: str
) -> None:
    operator = admin(api, settings)
    response = api.commands.post("/api/admin/jobs", json=body, headers=operator.headers)
    assert response.status_code == 400, response.text
    assert field in response.json()["errors"], response.text


def test_a_queued_job_is_followed_until_process_has_run_it(
    own_client: tuple[TestClient[Any], dict[str, str]],
) -> None:
    client, headers = own_client
    queued = client.post(
        "/api/admin/jobs",
        json={"kind": "retry_failed_webhooks"},
        headers={**headers, "Idempotency-Key": "retry-1"},
    )
    assert queued.status_code == 202, queued.text
    job = queued.json()
    assert (job["kind"], job["params"], job["status"], job["attempts"]) == (
        "retry_failed_webhooks",
        {"workspace_id": None},
        "QUEUED",
        0,
    )
    again = client.post(
        "/api/admin/jobs",
        json={"kind": "retry_failed_webhooks"},
        headers={**headers, "Idempotency-Key": "retry-1"},
    )
    assert again.json()["id"] == job["id"]
    assert client.get(f"/api/admin/jobs/{job['id']}", headers=headers).json()["status"] == "QUEUED"

    processed = client.post("/api/jobs/process", json={"limit": 5}, headers=headers)
    assert processed.status_code == 200, processed.text
    assert processed.json()["processed"] == 1
    done = client.get(f"/api/admin/jobs/{job['id']}", headers=headers).json()
    assert (done["status"], done["progress"], done["result"], done["error"]) == (
        "DONE",
        1.0,
        {"requeued": 0},
        None,
    )
    assert done["started_at"] is not None
    assert done["finished_at"] is not None
    assert client.get(f"/api/admin/jobs/{uuid4()}", headers=headers).status_code == 404


def test_process_runs_at_most_limit_jobs_of_1_to_100(
    own_client: tuple[TestClient[Any], dict[str, str]],
) -> None:
    client, headers = own_client
    for _ in range(3):
        queued = client.post(
            "/api/admin/jobs", json={"kind": "expire_idempotency_keys"}, headers=headers
        )
        assert queued.status_code == 202, queued.text
    for limit in (0, 101):
        refused = client.post("/api/jobs/process", json={"limit": limit}, headers=headers)
        assert refused.status_code == 400, refused.text
    processed = client.post("/api/jobs/process", json={"limit": 2}, headers=headers).json()
    assert processed["processed"] == 2
    assert [job["status"] for job in processed["data"]] == ["DONE", "DONE"]
    left = client.get("/api/admin/jobs", params={"status": "QUEUED"}, headers=headers).json()
    assert left["meta"] == {"page": 1, "page_size": 20, "total": 1, "total_pages": 1}
    every = client.get("/api/admin/jobs", params={"page_size": 2}, headers=headers).json()
    assert every["meta"]["total"] == 3
    assert len(every["data"]) == 2


@pytest.mark.parametrize(
    ("name", "table"),
    [("workspaces", "workspaces"), ("dashboard", "dashboard_months")],  # the second batches
)
def test_verifying_a_read_model_compares_it_with_a_replay_of_the_log(
    api: Api, settings: Settings, name: str, table: str
) -> None:
    operator = admin(api, settings)
    workspace_id = api.workspace(operator)
    recorded = api.record(operator, workspace_id, api.account(operator, workspace_id))
    api.read(operator, f"/api/workspaces/{workspace_id}/dashboard", recorded["position"])
    queued = api.commands.post(
        "/api/admin/jobs",
        json={"kind": "verify_projection", "params": {"name": name}},
        headers=operator.headers,
    ).json()
    processed = api.commands.post(
        "/api/jobs/process", json={"limit": 100}, headers=operator.headers
    )
    assert processed.status_code == 200, processed.text
    job = api.commands.get(f"/api/admin/jobs/{queued['id']}", headers=operator.headers).json()
    assert job["status"] == "DONE", job
    assert job["result"]["matches"] is True
    tables = job["result"]["tables"]
    assert tables[table]["live_rows"] == tables[table]["rebuilt_rows"] > 0
