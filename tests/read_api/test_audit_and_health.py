"""The audit trail, paginated by position, and both APIs' health."""

from __future__ import annotations

from tests.api import Api


def test_the_audit_trail_lists_the_workspaces_events_in_order(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    last = 0
    for _ in range(3):
        last = api.record(user, workspace, account)["position"]
    first_page = api.read(user, f"/api/workspaces/{workspace}/audit", last, limit=2)
    assert [entry["type"] for entry in first_page["data"]] == ["WorkspaceCreated", "AccountOpened"]
    assert first_page["next_after"] == first_page["data"][-1]["position"]
    rest = api.read(
        user, f"/api/workspaces/{workspace}/audit", last, after=first_page["next_after"], limit=10
    )
    types = [entry["type"] for entry in rest["data"]]
    # the engagement watch's points and badges for those transactions may be there too
    assert [t for t in types if t == "TransactionRecorded"] == ["TransactionRecorded"] * 3
    assert set(types) <= {"TransactionRecorded", "PointsAwarded", "BadgeEarned"}
    assert rest["next_after"] is None
    positions = [entry["position"] for entry in first_page["data"] + rest["data"]]
    assert positions == sorted(positions)
    entry = rest["data"][0]
    assert entry["actor_id"] == user.id
    assert entry["workspace_id"] == workspace
    assert entry["correlation_id"]


def test_the_audit_trail_never_hands_out_password_hashes(api: Api, settings: object) -> None:
    import psycopg

    user = api.user()
    created = api.commands.post(
        "/api/workspaces", json={"name": "Home", "base_currency": "EUR"}, headers=user.headers
    ).json()
    # The workspace comes after the sign-up in the log: once the audit trail has it, it
    # has the sign-up.
    api.read(user, f"/api/workspaces/{created['id']}/audit", created["position"])
    with psycopg.connect(settings.database) as conn:  # type: ignore[attr-defined]
        rows = conn.execute(
            f"SELECT payload::text FROM {settings.database_schema}.audit_trail "  # type: ignore[attr-defined]  # noqa: S608
            "WHERE type = 'UserSignedUp' AND aggregate_id = %s",
            (user.id,),
        ).fetchall()
    assert rows, "the projector has not recorded the sign-up yet"
    assert "argon2" not in rows[0][0]
    assert "[redacted]" in rows[0][0]


def test_an_after_beyond_any_position_is_a_bad_request(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    response = api.reads.get(
        f"/api/workspaces/{workspace}/audit", params={"after": 2**63}, headers=user.headers
    )
    assert response.status_code == 400


def test_both_apis_report_their_services(api: Api) -> None:
    for client in (api.commands, api.reads):
        response = client.get("/health")
        assert response.status_code == 200
        assert response.json()["checks"] == {"database": "ok", "nats": "ok", "redis": "ok"}
        assert response.json()["failing"] == []  # no projection failing again and again
    assert "x-projection-position" in api.reads.get("/health").headers
    assert "x-projection-position" in api.reads.get("/no/such/route").headers


def test_both_apis_publish_openapi(api: Api) -> None:
    commands = api.commands.get("/schema/openapi.json").json()
    reads = api.reads.get("/schema/openapi.json").json()
    assert "/api/workspaces/{workspace_id}/transactions" in commands["paths"]
    assert "/api/workspaces/{workspace_id}/dashboard" in reads["paths"]
