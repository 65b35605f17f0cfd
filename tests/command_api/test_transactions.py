"""Recording, amending, deleting and restoring transactions over HTTP."""

from __future__ import annotations

from uuid import uuid4

from tests.api import Api


def test_recording_returns_the_transaction_its_version_and_position(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    body = api.record(user, workspace, account, tags=["work"], category="food_and_drink")
    assert body["amount"] == "-5.75"
    assert body["version"] == 1
    assert body["position"] > 0
    assert body["tags"] == ["work"]
    assert body["deleted"] is False


def test_an_amount_must_be_a_decimal_string(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    url = f"/api/workspaces/{workspace}/transactions"
    base = {"account_id": account, "date": "2026-03-14", "currency": "EUR", "description": "x"}
    for amount in (-5.75, "5,75", "1e3", "", "NaN", "\u0665.\u0667\u0665"):
        response = api.commands.post(url, json={**base, "amount": amount}, headers=user.headers)
        assert response.status_code == 400, amount
        assert "amount" in response.json()["errors"]


def test_bad_dates_and_missing_fields_are_bad_requests(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    url = f"/api/workspaces/{workspace}/transactions"
    base = {"account_id": account, "amount": "-1.00", "currency": "EUR", "description": "x"}
    assert (
        api.commands.post(
            url, json={**base, "date": "2026-02-30"}, headers=user.headers
        ).status_code
        == 400
    )
    assert api.commands.post(url, json=base, headers=user.headers).status_code == 400


def test_a_currency_other_than_the_accounts_is_refused(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace, currency="EUR")
    response = api.commands.post(
        f"/api/workspaces/{workspace}/transactions",
        json={
            "account_id": account,
            "date": "2026-03-14",
            "amount": "-1.00",
            "currency": "USD",
            "description": "x",
        },
        headers=user.headers,
    )
    assert response.status_code == 422
    assert "currency" in response.json()["errors"]


def test_an_account_of_another_workspace_cannot_be_used(api: Api) -> None:
    user = api.user()
    mine = api.workspace(user)
    other_account = api.account(user, api.workspace(user))
    response = api.commands.post(
        f"/api/workspaces/{mine}/transactions",
        json={
            "account_id": other_account,
            "date": "2026-03-14",
            "amount": "-1.00",
            "currency": "EUR",
            "description": "x",
        },
        headers=user.headers,
    )
    assert response.status_code == 422
    assert "account_id" in response.json()["errors"]


def test_another_users_workspace_is_not_found(api: Api) -> None:
    owner, stranger = api.user("Owner"), api.user("Stranger")
    workspace = api.workspace(owner)
    account = api.account(owner, workspace)
    transaction = api.record(owner, workspace, account)
    record = api.commands.post(
        f"/api/workspaces/{workspace}/accounts",
        json={"name": "Mine now", "type": "CASH", "currency": "EUR"},
        headers=stranger.headers,
    )
    assert record.status_code == 404
    amend = api.commands.patch(
        f"/api/workspaces/{workspace}/transactions/{transaction['id']}",
        json={"description": "hijacked"},
        headers=stranger.headers,
    )
    assert amend.status_code == 404


def test_a_transaction_is_not_found_through_another_workspace(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    transaction = api.record(user, workspace, api.account(user, workspace))
    other = api.workspace(user)
    response = api.commands.delete(
        f"/api/workspaces/{other}/transactions/{transaction['id']}", headers=user.headers
    )
    assert response.status_code == 404
    missing = api.commands.delete(
        f"/api/workspaces/{workspace}/transactions/{uuid4()}", headers=user.headers
    )
    assert missing.status_code == 404


def test_amending_changes_only_the_fields_sent_and_null_clears(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    transaction = api.record(
        user, workspace, api.account(user, workspace), merchant="Café Lumen", notes="team"
    )
    response = api.commands.patch(
        f"/api/workspaces/{workspace}/transactions/{transaction['id']}",
        json={"amount": "-6.10", "notes": None},
        headers={**user.headers, "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["amount"], body["notes"], body["merchant"]) == ("-6.10", None, "Café Lumen")
    assert body["version"] == 2
    assert response.headers["etag"] == '"2"'


def test_a_stale_if_match_is_a_failed_precondition(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    transaction = api.record(user, workspace, api.account(user, workspace))
    url = f"/api/workspaces/{workspace}/transactions/{transaction['id']}"
    assert (
        api.commands.patch(url, json={"description": "a"}, headers=user.headers).status_code == 200
    )
    stale = api.commands.patch(
        url, json={"description": "b"}, headers={**user.headers, "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    for if_match in (b"yesterday", "²".encode("latin-1")):
        malformed = api.commands.patch(
            url, json={"description": "b"}, headers={**user.headers, "If-Match": if_match}
        )
        assert malformed.status_code == 400, if_match


def test_deleting_and_restoring_are_events_not_erasures(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    transaction = api.record(user, workspace, api.account(user, workspace))
    url = f"/api/workspaces/{workspace}/transactions/{transaction['id']}"
    deleted = api.commands.delete(url, headers=user.headers)
    assert deleted.status_code == 200
    assert deleted.json()["deleted"] is True
    assert api.commands.delete(url, headers=user.headers).status_code == 422
    assert (
        api.commands.patch(url, json={"description": "x"}, headers=user.headers).status_code == 422
    )
    restored = api.commands.post(f"{url}/restore", headers=user.headers)
    assert restored.status_code == 200
    assert restored.json()["deleted"] is False
    assert restored.json()["version"] == 3
    assert api.commands.post(f"{url}/restore", headers=user.headers).status_code == 422


def test_a_typed_amount_finer_than_its_currency_s_minor_unit_is_refused(api: Api) -> None:
    """What people type is in minor units; only a statement's line keeps finer decimals."""
    user = api.user()
    workspace = api.workspace(user, currency="USD")
    account = api.account(user, workspace, currency="USD")
    url = f"/api/workspaces/{workspace}/transactions"
    base = {"account_id": account, "date": "2026-03-14", "currency": "USD", "description": "x"}
    for amount, status in (("115.8331", 422), ("0.12345678", 422), ("0.123456789", 400)):
        response = api.commands.post(url, json={**base, "amount": amount}, headers=user.headers)
        assert response.status_code == status, (amount, response.text)
        assert "amount" in response.json()["errors"]


def test_an_imported_sub_cent_amount_can_be_sent_back_unchanged_but_not_changed_to_another(
    api: Api,
) -> None:
    user = api.user()
    workspace = api.workspace(user, currency="USD")
    account = api.account(user, workspace, currency="USD")
    statement = b"Date,Description,Amount\n2026-03-02,Interest,0.00000003\n"
    imported = api.commands.post(
        f"/api/workspaces/{workspace}/imports",
        files={"file": ("s.csv", statement)},
        data={"account_id": account},
        headers=user.headers,
    ).json()
    [transaction] = imported["transactions"]
    assert transaction["amount"] == "0.00000003"  # never 3E-8
    url = f"/api/workspaces/{workspace}/transactions/{transaction['id']}"
    kept = api.commands.patch(
        url, json={"amount": "0.00000003", "description": "Dividend"}, headers=user.headers
    )
    assert kept.status_code == 200, kept.text
    assert (kept.json()["amount"], kept.json()["description"]) == ("0.00000003", "Dividend")
    changed = api.commands.patch(url, json={"amount": "0.00000004"}, headers=user.headers)
    assert changed.status_code == 422, changed.text
    assert "amount" in changed.json()["errors"]


def test_a_time_of_day_is_recorded_amended_and_cleared(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    recorded = api.record(user, workspace, api.account(user, workspace), time="22:45")
    assert recorded["time"] == "22:45:00"
    url = f"/api/workspaces/{workspace}/transactions/{recorded['id']}"
    amended = api.commands.patch(url, json={"time": "23:05:10"}, headers=user.headers)
    assert amended.status_code == 200, amended.text
    assert amended.json()["time"] == "23:05:10"
    untouched = api.commands.patch(url, json={"notes": "late"}, headers=user.headers)
    assert untouched.json()["time"] == "23:05:10"
    cleared = api.commands.patch(url, json={"time": None}, headers=user.headers)
    assert (cleared.json()["time"], cleared.json()["version"]) == (None, 4)


def test_a_transaction_recorded_without_a_time_has_none(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    assert api.record(user, workspace, api.account(user, workspace))["time"] is None


def test_a_time_that_is_no_local_24_hour_time_is_a_bad_request_naming_time(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    url = f"/api/workspaces/{workspace}/transactions"
    base = {
        "account_id": account,
        "date": "2026-03-14",
        "amount": "-1.00",
        "currency": "EUR",
        "description": "x",
    }
    for bad in (
        "25:00",
        "24:00",
        "22:60",
        "22:45:60",
        "7:05",
        "10 PM",
        "22:45Z",
        "22:45:10.5",
        2245,
    ):
        response = api.commands.post(url, json={**base, "time": bad}, headers=user.headers)
        assert response.status_code == 400, bad
        assert "time" in response.json()["errors"], bad
    transaction = api.record(user, workspace, account)
    patched = api.commands.patch(
        f"{url}/{transaction['id']}", json={"time": "25:00"}, headers=user.headers
    )
    assert patched.status_code == 400
    assert "time" in patched.json()["errors"]
