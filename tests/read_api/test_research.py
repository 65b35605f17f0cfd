"""Consented research over HTTP: nothing is collected before consent, responses are checked
against their instrument and scored, and the export holds participant codes, never people."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient

from infra.settings import Settings
from read_api.app import create_app as create_read_app
from tests.api import Api

TOKEN = "research-token-that-is-long-enough"
CONSENT = "/api/me/research/consent"


@pytest.fixture(scope="module")
def exporter(settings: Settings, read_client: TestClient[Any]) -> Any:
    with TestClient(
        create_read_app(msgspec.structs.replace(settings, research_export_token=TOKEN))
    ) as client:
        yield client


def consent(api: Api, user: Any, code: str, **fields: Any) -> Any:
    body = {
        "consented": True,
        "age_confirmed": True,
        "data_mode": "FULL",
        "participant_code": code,
        "allow_research_export": True,
        "study_version": "v1",
        **fields,
    }
    return api.commands.post(CONSENT, json=body, headers=user.headers)


def test_nothing_is_collected_before_consent_and_responses_are_scored_on_save(
    api: Api, settings: Settings, exporter: TestClient[Any]
) -> None:
    ada = api.user("Ada")
    post = api.commands.post
    event = {
        "event_name": "opened_budget",
        "context": {"screen": "home", "n": 2},
        "client_timestamp": "2026-03-14T10:00:00Z",
    }
    answers = {
        "phase": "baseline",
        "instrument_key": "budget_confidence",
        "responses": {"bc1": 4, "bc2": 5, "bc3": 2, "bc4": 3, "bc5": 1},
    }
    for path, body in (
        ("/api/me/events", event),
        ("/api/me/research/responses", answers),
        (
            "/api/me/research/progress-snapshots",
            {"phase": "midpoint", "taken_on": "2026-03-14", "metrics": {"points": 40}},
        ),
        (
            "/api/me/challenge-metrics",
            {"challenge_slug": "log_a_week", "month": "2026-03", "metrics": {"days": 3}},
        ),
    ):
        refused = post(path, json=body, headers=ada.headers)
        assert refused.status_code == 403, (path, refused.text)
    assert (
        api.commands.patch(
            "/api/me/research/data-mode", json={"data_mode": "FULL"}, headers=ada.headers
        ).status_code
        == 403
    )
    assert consent(api, ada, "ADA-0001", age_confirmed=False).status_code == 422
    code = f"P-{ada.id[:8]}"
    given = consent(api, ada, code)
    assert given.status_code == 200, given.text
    assert consent(api, api.user("Eve"), code).status_code == 409  # the code is taken

    scored = post("/api/me/research/responses", json=answers, headers=ada.headers)
    assert scored.status_code == 201, scored.text
    # bc3 and bc5 are reverse-coded: 4 + 5 + (6 - 2) + 3 + (6 - 1) = 21, mean 4.20
    assert scored.json()["data"]["score"] == "4.20"
    wellbeing = post(
        "/api/me/research/responses",
        json={
            "phase": "final",
            "instrument_key": "financial_wellbeing",
            "response_type": "PARTIAL",
            "responses": {"fw1": 3, "fw3": 1},
        },
        headers=ada.headers,
    )
    assert wellbeing.json()["data"]["score"] == "6"  # 3 + (4 - 1)
    for bad, field in (
        ({**answers, "responses": {**answers["responses"], "bc9": 3}}, "responses.bc9"),
        ({**answers, "responses": {**answers["responses"], "bc1": 6}}, "responses.bc1"),
        ({**answers, "responses": {"bc1": 3}}, "responses"),
        ({**answers, "instrument_key": "iq_test"}, "instrument_key"),
        ({**answers, "phase": "weekly"}, "phase"),
    ):
        refused = post("/api/me/research/responses", json=bad, headers=ada.headers)
        assert refused.status_code == 400, (bad, refused.text)
        assert field in refused.json()["errors"], refused.json()
    free_text = {**event, "context": {"note": "I felt bad about my rent"}}
    assert post("/api/me/events", json=free_text, headers=ada.headers).status_code == 400
    assert (
        post("/api/me/events", json={**event, "extra": 1}, headers=ada.headers).status_code == 400
    )
    logged = post("/api/me/events", json=event, headers=ada.headers)
    assert logged.status_code == 201, logged.text

    # Scores only: usage data is refused again.
    changed = api.commands.patch(
        "/api/me/research/data-mode", json={"data_mode": "SCORES_ONLY"}, headers=ada.headers
    )
    assert changed.json()["data_mode"] == "SCORES_ONLY"
    assert post("/api/me/events", json=event, headers=ada.headers).status_code == 403
    back = api.commands.patch(
        "/api/me/research/data-mode", json={"data_mode": "FULL"}, headers=ada.headers
    )

    # The export: token rules, then participant codes and what was asked for, nothing else.
    assert exporter.get("/api/admin/research/export").status_code == 403
    assert (
        exporter.get(
            "/api/admin/research/export", headers={"X-Research-Export-Token": "wrong"}
        ).status_code
        == 403
    )
    assert (
        api.reads.get(
            "/api/admin/research/export", headers={"X-Research-Export-Token": TOKEN}
        ).status_code
        == 503
    )  # this installation set no token
    api.read(ada, "/api/research/instruments", back.json()["position"])
    exported = exporter.get(
        "/api/admin/research/export", headers={"X-Research-Export-Token": TOKEN}
    )
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in exported.text.splitlines()]
    mine = [line for line in lines if line["participant_code"] == code]
    assert [line["record"] for line in mine] == ["participant", "response", "response", "event"]
    assert (mine[1]["score"], mine[1]["responses"]["bc3"]) == ("4.20", 2)
    assert mine[3]["context"] == {"screen": "home", "n": 2}
    text = exported.text
    for personal in (ada.id, ada.email, "Ada"):
        assert personal not in text

    # Withdrawing leaves the participant out of later exports.
    withdrawn = consent(api, ada, code, consented=False)
    assert withdrawn.json()["consented"] is False
    api.read(ada, "/api/research/instruments", withdrawn.json()["position"])
    later = exporter.get("/api/admin/research/export", headers={"X-Research-Export-Token": TOKEN})
    assert code not in later.text
    assert post("/api/me/events", json=event, headers=ada.headers).status_code == 403


def test_instruments_are_served_as_data(api: Api) -> None:
    user = api.user()
    found = api.read(user, "/api/research/instruments", phase="weekly")["data"]
    assert [i["key"] for i in found] == ["weekly_check_in"]
    both = api.read(user, "/api/research/instruments", phase="final", track="control")["data"]
    assert [i["key"] for i in both] == ["budget_confidence", "financial_wellbeing"]
    item = both[0]["items"][2]
    assert item == {
        "id": "bc3",
        "text": "I often run out of money before the month ends.",
        "min": 1,
        "max": 5,
        "reverse_coded": True,
    }
