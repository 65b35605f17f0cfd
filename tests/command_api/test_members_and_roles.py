"""Members, invitations, roles and API keys, and the role matrix over every command route."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from uuid import uuid4

import pytest
from litestar.testing import TestClient

from tests.api import Api, User

ROLES = ("VIEWER", "EDITOR", "ADMIN")


def invite(api: Api, admin: User, workspace_id: str, email: str, role: str) -> Any:
    return api.commands.post(
        f"/api/workspaces/{workspace_id}/invitations",
        json={"email": email, "role": role},
        headers=admin.headers,
    )


def join(
    api: Api, admin: User, workspace_id: str, role: str, mailbox: Callable[[str], str]
) -> User:
    member = api.user("Member")
    assert invite(api, admin, workspace_id, member.email, role).status_code == 201
    token = re.search(r"^[0-9a-f]{32}\.[0-9a-f]{32}\.\S+$", mailbox(member.email), re.M)
    assert token, "the invitation mail carries the token"
    accepted = api.commands.post(
        "/api/invitations/accept", json={"token": token.group(0)}, headers=member.headers
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["role"] == role
    return member


def test_an_invited_member_joins_and_a_removed_one_is_refused_at_once(
    api: Api, mailbox: Callable[[str], str]
) -> None:
    admin = api.user("Admin")
    workspace_id = api.workspace(admin)
    account_id = api.account(admin, workspace_id)
    editor = join(api, admin, workspace_id, "EDITOR", mailbox)
    recorded = api.record(editor, workspace_id, account_id)
    api.read(editor, f"/api/workspaces/{workspace_id}/transactions", recorded["position"])

    removed = api.commands.delete(
        f"/api/workspaces/{workspace_id}/members/{editor.id}", headers=admin.headers
    )
    assert removed.status_code == 200
    write = api.record_with(editor.headers, workspace_id, account_id)
    assert write.status_code == 404
    read = api.reads.get(f"/api/workspaces/{workspace_id}/transactions", headers=editor.headers)
    assert read.status_code == 404


def test_a_viewer_reads_but_cannot_record_nor_see_another_workspace(
    api: Api, mailbox: Callable[[str], str]
) -> None:
    admin = api.user("Admin")
    workspace_id = api.workspace(admin)
    account_id = api.account(admin, workspace_id)
    viewer = join(api, admin, workspace_id, "VIEWER", mailbox)
    refused = api.record_with(viewer.headers, workspace_id, account_id)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    other = api.workspace(api.user("Stranger"))
    assert api.reads.get(f"/api/workspaces/{other}", headers=viewer.headers).status_code == 404
    mine = api.read(viewer, "/api/workspaces")
    assert {w["id"]: w["role"] for w in mine["data"]} == {workspace_id: "VIEWER"}


def test_membership_rules_last_admin_cap_and_duplicates(
    api: Api, mailbox: Callable[[str], str]
) -> None:
    admin = api.user("Admin")
    workspace_id = api.workspace(admin)
    base = f"/api/workspaces/{workspace_id}"
    for refused in (
        api.commands.post(f"{base}/leave", headers=admin.headers),
        api.commands.delete(f"{base}/members/{admin.id}", headers=admin.headers),
        api.commands.patch(
            f"{base}/members/{admin.id}", json={"role": "EDITOR"}, headers=admin.headers
        ),
    ):
        assert refused.status_code == 422, refused.text
        assert "last ADMIN" in refused.json()["detail"]
    editor = join(api, admin, workspace_id, "EDITOR", mailbox)
    assert invite(api, admin, workspace_id, editor.email, "VIEWER").status_code == 409
    email = f"pending-{uuid4().hex[:8]}@example.com"
    assert invite(api, admin, workspace_id, email, "VIEWER").status_code == 201
    assert invite(api, admin, workspace_id, email.upper(), "VIEWER").status_code == 409
    # 2 members + 1 pending: 47 more fit, the next does not.
    for n in range(47):
        assert invite(api, admin, workspace_id, f"m{n}-{email}", "VIEWER").status_code == 201
    full = invite(api, admin, workspace_id, f"one-too-many-{email}", "VIEWER")
    assert full.status_code == 422
    assert "50" in full.json()["detail"]
    promoted = api.commands.patch(
        f"{base}/members/{editor.id}", json={"role": "ADMIN"}, headers=admin.headers
    )
    assert promoted.status_code == 200
    assert api.commands.post(f"{base}/leave", headers=admin.headers).status_code == 200


def test_an_invitation_is_for_its_email_only_and_can_be_declined_or_revoked(
    api: Api, mailbox: Callable[[str], str]
) -> None:
    admin = api.user("Admin")
    workspace_id = api.workspace(admin)
    invitee, intruder = api.user("Invitee"), api.user("Intruder")
    invited = invite(api, admin, workspace_id, invitee.email, "EDITOR")
    token = mailbox(invitee.email).splitlines()[2]
    wrong_person = api.commands.post(
        "/api/invitations/accept", json={"token": token}, headers=intruder.headers
    )
    assert wrong_person.status_code == 403
    declined = api.commands.post(
        "/api/invitations/decline", json={"token": token}, headers=invitee.headers
    )
    assert declined.status_code == 200
    gone = api.commands.post(
        "/api/invitations/accept", json={"token": token}, headers=invitee.headers
    )
    assert gone.status_code == 404
    again = invite(api, admin, workspace_id, invitee.email, "VIEWER")
    revoked = api.commands.delete(
        f"/api/workspaces/{workspace_id}/invitations/{again.json()['id']}", headers=admin.headers
    )
    assert revoked.status_code == 200
    assert invited.json()["id"] != again.json()["id"]


def test_an_api_key_acts_with_its_role_in_its_workspace_only_until_revoked(
    api: Api,
) -> None:
    admin = api.user("Admin")
    workspace_id = api.workspace(admin)
    account_id = api.account(admin, workspace_id)
    base = f"/api/workspaces/{workspace_id}"
    created = api.commands.post(
        f"{base}/api-keys", json={"name": "bank sync", "role": "EDITOR"}, headers=admin.headers
    )
    assert created.status_code == 201
    key = created.json()
    assert key["key"].startswith(key["prefix"])
    key_headers = {"Authorization": f"Bearer {key['key']}"}
    recorded = api.record_with(key_headers, workspace_id, account_id)
    assert recorded.status_code == 201
    position = recorded.json()["position"]
    listed = api.read(admin, f"{base}/api-keys", position)
    assert [(k["name"], k["prefix"]) for k in listed["data"]] == [("bank sync", key["prefix"])]
    assert key["key"] not in str(listed)
    reads = api.reads.get(
        f"{base}/transactions", params={"min_position": position}, headers=key_headers
    )
    assert reads.status_code == 200
    other = api.workspace(api.user("Other"))
    assert (
        api.commands.post(
            f"/api/workspaces/{other}/accounts", json={}, headers=key_headers
        ).status_code
        == 404
    )
    assert (
        api.commands.post(
            "/api/workspaces", json={"name": "x", "base_currency": "EUR"}, headers=key_headers
        ).status_code
        == 403
    )
    viewer_key = api.commands.post(
        f"{base}/api-keys", json={"name": "reports", "role": "VIEWER"}, headers=admin.headers
    ).json()
    viewer_headers = {"Authorization": f"Bearer {viewer_key['key']}"}
    assert api.record_with(viewer_headers, workspace_id, account_id).status_code == 403
    revoked = api.commands.delete(f"{base}/api-keys/{key['id']}", headers=admin.headers)
    assert revoked.status_code == 200
    assert api.record_with(key_headers, workspace_id, account_id).status_code == 401
    assert api.reads.get(f"{base}/transactions", headers=key_headers).status_code == 401


# Every command route and the least role it needs. A new route missing here fails the suite.
RULES = {
    ("POST", "/api/auth/signup"): "PUBLIC",
    ("POST", "/api/auth/login"): "PUBLIC",
    ("POST", "/api/auth/refresh"): "PUBLIC",
    ("POST", "/api/users"): "PUBLIC",
    ("POST", "/api/auth/password-reset"): "PUBLIC",
    ("POST", "/api/auth/password-reset/confirm"): "PUBLIC",
    ("POST", "/api/auth/logout"): "SIGNED_IN",
    ("GET", "/api/auth/me"): "SIGNED_IN",
    ("PATCH", "/api/auth/me"): "SIGNED_IN",
    ("POST", "/api/auth/me/credentials"): "SIGNED_IN",
    ("POST", "/api/auth/password"): "SIGNED_IN",
    ("POST", "/api/auth/email-verification"): "SIGNED_IN",
    ("POST", "/api/auth/email-verification/confirm"): "SIGNED_IN",
    ("POST", "/api/workspaces"): "SIGNED_IN",
    ("POST", "/api/invitations/accept"): "SIGNED_IN",
    ("POST", "/api/invitations/decline"): "SIGNED_IN",
    ("POST", "/api/admin/system-roles"): "SYSTEM_ADMIN",
    ("GET", "/api/admin/mailbox"): "SYSTEM_ADMIN",
    ("POST", "/api/admin/jobs"): "SYSTEM_ADMIN",
    ("GET", "/api/admin/jobs"): "SYSTEM_ADMIN",
    ("GET", "/api/admin/jobs/{job_id}"): "SYSTEM_ADMIN",
    ("POST", "/api/jobs/process"): "SYSTEM_ADMIN",
    ("GET", "/api/status"): "PUBLIC",
    ("GET", "/api/metrics"): "SYSTEM_ADMIN",
    ("PATCH", "/api/workspaces/{workspace_id}"): "ADMIN",
    ("DELETE", "/api/workspaces/{workspace_id}"): "ADMIN",
    ("PUT", "/api/workspaces/{workspace_id}/settings"): "ADMIN",
    ("POST", "/api/workspaces/{workspace_id}/invitations"): "ADMIN",
    ("DELETE", "/api/workspaces/{workspace_id}/invitations/{invitation_id}"): "ADMIN",
    ("PATCH", "/api/workspaces/{workspace_id}/members/{user_id}"): "ADMIN",
    ("DELETE", "/api/workspaces/{workspace_id}/members/{user_id}"): "ADMIN",
    ("POST", "/api/workspaces/{workspace_id}/leave"): "VIEWER",
    ("POST", "/api/workspaces/{workspace_id}/api-keys"): "ADMIN",
    ("DELETE", "/api/workspaces/{workspace_id}/api-keys/{key_id}"): "ADMIN",
    ("POST", "/api/workspaces/{workspace_id}/accounts"): "EDITOR",
    ("POST", "/api/workspaces/{workspace_id}/transactions"): "EDITOR",
    ("PATCH", "/api/workspaces/{workspace_id}/transactions/{transaction_id}"): "EDITOR",
    ("DELETE", "/api/workspaces/{workspace_id}/transactions/{transaction_id}"): "EDITOR",
    ("POST", "/api/workspaces/{workspace_id}/transactions/{transaction_id}/restore"): "EDITOR",
    ("PATCH", "/api/workspaces/{workspace_id}/accounts/{account_id}"): "EDITOR",
    ("POST", "/api/workspaces/{workspace_id}/accounts/{account_id}/close"): "EDITOR",
    ("POST", "/api/workspaces/{workspace_id}/accounts/{account_id}/reopen"): "EDITOR",
    ("POST", "/api/workspaces/{workspace_id}/accounts/{account_id}/valuations"): "EDITOR",
    ("POST", "/api/workspaces/{workspace_id}/transfers"): "EDITOR",
    ("POST", "/api/workspaces/{workspace_id}/transactions/{transaction_id}/split"): "EDITOR",
    ("POST", "/api/workspaces/{workspace_id}/transactions/bulk-categorize"): "EDITOR",
    ("POST", "/api/workspaces/{workspace_id}/categories"): "EDITOR",
    ("PATCH", "/api/workspaces/{workspace_id}/categories/{category_id}"): "EDITOR",
    ("POST", "/api/workspaces/{workspace_id}/categories/{category_id}/merge"): "EDITOR",
    ("POST", "/api/workspaces/{workspace_id}/imports"): "EDITOR",
    ("POST", "/api/workspaces/{workspace_id}/exchange-rates"): "EDITOR",
    ("POST", "/api/workspaces/{workspace_id}/exchange-rates/csv"): "EDITOR",
    ("POST", "/api/workspaces/{workspace_id}/rules"): "EDITOR",
    ("PATCH", "/api/workspaces/{workspace_id}/rules/{rule_id}"): "EDITOR",
    ("DELETE", "/api/workspaces/{workspace_id}/rules/{rule_id}"): "EDITOR",
    ("PUT", "/api/workspaces/{workspace_id}/rules/order"): "EDITOR",
    ("POST", "/api/workspaces/{workspace_id}/rules/preview"): "VIEWER",
    ("POST", "/api/workspaces/{workspace_id}/import-profiles"): "EDITOR",
    ("PATCH", "/api/workspaces/{workspace_id}/import-profiles/{profile_id}"): "EDITOR",
    ("DELETE", "/api/workspaces/{workspace_id}/import-profiles/{profile_id}"): "EDITOR",
    ("POST", "/api/workspaces/{workspace_id}/accounts/{account_id}/reconcile"): "EDITOR",
    ("POST", "/api/workspaces/{workspace_id}/transactions/{transaction_id}/reconcile"): "EDITOR",
    ("POST", "/api/workspaces/{workspace_id}/transactions/{transaction_id}/attachments"): "EDITOR",
    (
        "DELETE",
        "/api/workspaces/{workspace_id}/transactions/{transaction_id}/attachments/{attachment_id}",
    ): "EDITOR",
    ("POST", "/api/workspaces/{workspace_id}/budgets"): "ADMIN",
    ("PATCH", "/api/workspaces/{workspace_id}/budgets/{budget_id}"): "ADMIN",
    ("DELETE", "/api/workspaces/{workspace_id}/budgets/{budget_id}"): "ADMIN",
    ("POST", "/api/workspaces/{workspace_id}/alert-rules"): "ADMIN",
    ("PATCH", "/api/workspaces/{workspace_id}/alert-rules/{rule_id}"): "ADMIN",
    ("DELETE", "/api/workspaces/{workspace_id}/alert-rules/{rule_id}"): "ADMIN",
    ("POST", "/api/workspaces/{workspace_id}/webhooks"): "ADMIN",
    ("PATCH", "/api/workspaces/{workspace_id}/webhooks/{subscription_id}"): "ADMIN",
    ("DELETE", "/api/workspaces/{workspace_id}/webhooks/{subscription_id}"): "ADMIN",
    ("POST", "/api/workspaces/{workspace_id}/webhooks/{subscription_id}/rotate-secret"): "ADMIN",
    ("POST", "/api/workspaces/{workspace_id}/webhooks/{subscription_id}/replay"): "ADMIN",
    (
        "POST",
        "/api/workspaces/{workspace_id}/webhooks/{subscription_id}/deliveries/{delivery_id}/redeliver",
    ): "ADMIN",
    ("POST", "/api/workspaces/{workspace_id}/goals"): "EDITOR",
    ("PATCH", "/api/workspaces/{workspace_id}/goals/{goal_id}"): "EDITOR",
    ("DELETE", "/api/workspaces/{workspace_id}/goals/{goal_id}"): "EDITOR",
    ("POST", "/api/workspaces/{workspace_id}/goals/{goal_id}/contributions"): "EDITOR",
    ("POST", "/api/workspaces/{workspace_id}/transactions/{transaction_id}/risk-review"): "EDITOR",
    ("POST", "/api/workspaces/{workspace_id}/schedules"): "EDITOR",
    ("PATCH", "/api/workspaces/{workspace_id}/schedules/{schedule_id}"): "EDITOR",
    ("DELETE", "/api/workspaces/{workspace_id}/schedules/{schedule_id}"): "EDITOR",
    ("POST", "/api/workspaces/{workspace_id}/forecasts"): "EDITOR",
    ("POST", "/api/notifications/read"): "SIGNED_IN",
    ("POST", "/api/notifications/read-all"): "SIGNED_IN",
    ("POST", "/api/notifications/dismiss"): "SIGNED_IN",
    ("POST", "/api/workspaces/{workspace_id}/challenges"): "VIEWER",
    ("POST", "/api/workspaces/{workspace_id}/challenges/{challenge_id}/progress"): "VIEWER",
    ("POST", "/api/workspaces/{workspace_id}/challenges/{challenge_id}/claim"): "VIEWER",
    ("PUT", "/api/workspaces/{workspace_id}/engagement/buckets"): "EDITOR",
    ("POST", "/api/workspaces/{workspace_id}/reflections"): "VIEWER",
    ("PUT", "/api/workspaces/{workspace_id}/persona"): "VIEWER",
    ("POST", "/api/me/research/consent"): "SIGNED_IN",
    ("PATCH", "/api/me/research/data-mode"): "SIGNED_IN",
    ("POST", "/api/me/research/responses"): "SIGNED_IN",
    ("POST", "/api/me/events"): "SIGNED_IN",
    ("POST", "/api/me/research/progress-snapshots"): "SIGNED_IN",
    ("POST", "/api/me/challenge-metrics"): "SIGNED_IN",
    ("POST", "/api/workspaces/{workspace_id}/reports"): "ADMIN",
    ("POST", "/api/workspaces/{workspace_id}/reports/{report_id}/email"): "ADMIN",
    ("POST", "/api/workspaces/{workspace_id}/report-schedules"): "ADMIN",
    ("PATCH", "/api/workspaces/{workspace_id}/report-schedules/{schedule_id}"): "ADMIN",
    ("DELETE", "/api/workspaces/{workspace_id}/report-schedules/{schedule_id}"): "ADMIN",
    ("POST", "/api/workspaces/{workspace_id}/report-schedules/{schedule_id}/run"): "ADMIN",
    ("POST", "/api/vault-beneficiaries/confirm"): "PUBLIC",
    ("POST", "/api/vault-release/{token}"): "PUBLIC",
    ("POST", "/api/workspaces/{workspace_id}/vault/pin"): "EDITOR",
    ("POST", "/api/workspaces/{workspace_id}/vault/unlock"): "EDITOR",
    ("POST", "/api/workspaces/{workspace_id}/vault/records"): "EDITOR",
    ("GET", "/api/workspaces/{workspace_id}/vault/records/{record_id}"): "EDITOR",
    ("PATCH", "/api/workspaces/{workspace_id}/vault/records/{record_id}"): "EDITOR",
    ("DELETE", "/api/workspaces/{workspace_id}/vault/records/{record_id}"): "EDITOR",
    ("POST", "/api/workspaces/{workspace_id}/vault/records/{record_id}/attachments"): "EDITOR",
    (
        "GET",
        "/api/workspaces/{workspace_id}/vault/records/{record_id}/attachments/{attachment_id}",
    ): "EDITOR",
    (
        "DELETE",
        "/api/workspaces/{workspace_id}/vault/records/{record_id}/attachments/{attachment_id}",
    ): "EDITOR",
    ("POST", "/api/workspaces/{workspace_id}/vault/dms"): "EDITOR",
    ("GET", "/api/workspaces/{workspace_id}/vault/dms"): "EDITOR",
    ("POST", "/api/workspaces/{workspace_id}/vault/check-in"): "EDITOR",
    ("POST", "/api/workspaces/{workspace_id}/vault/beneficiaries"): "EDITOR",
    ("PATCH", "/api/workspaces/{workspace_id}/vault/beneficiaries/{beneficiary_id}"): "EDITOR",
    ("DELETE", "/api/workspaces/{workspace_id}/vault/beneficiaries/{beneficiary_id}"): "EDITOR",
}


# Past the role check these want the vault unlocked: an allowed role without a vault token
# is told to unlock (401), not refused (403), unless its body is refused first (400).
UNLOCK_FIRST = {
    route
    for route in RULES
    if "/vault/" in route[1] and not route[1].endswith(("/vault/pin", "/vault/unlock"))
}


def command_routes(client: TestClient[Any]) -> set[tuple[str, str]]:
    routes = set()
    for route in client.app.routes:
        if route.path.startswith("/api/"):
            for method in route.methods:
                if method not in ("OPTIONS", "HEAD"):
                    routes.add((method, re.sub(r":\w+\}", "}", route.path)))
    return routes


def test_every_command_route_has_a_rule_in_the_matrix(api: Api) -> None:
    assert command_routes(api.commands) == set(RULES)


# These end the caller's access when they succeed, so they are walked last, one of them.
LEAVE = ("POST", "/api/workspaces/{workspace_id}/leave")
DELETE = ("DELETE", "/api/workspaces/{workspace_id}")


@pytest.mark.parametrize("who", [*ROLES, "STRANGER"])
def test_every_workspace_route_answers_each_role_as_its_rule_says(
    api: Api, mailbox: Callable[[str], str], who: str
) -> None:
    owner = api.user("Owner")
    workspace_id = api.workspace(owner)
    user = (
        api.user("Stranger") if who == "STRANGER" else join(api, owner, workspace_id, who, mailbox)
    )
    walk = [route for route in RULES if "{workspace_id}" in route[1]]
    walk = [route for route in walk if route not in (LEAVE, DELETE)]
    walk.append(DELETE if who == "ADMIN" else LEAVE)
    if who != "ADMIN":
        walk.insert(0, DELETE)
    for method, path in walk:
        rule = RULES[(method, path)]
        url = path.format(
            workspace_id=workspace_id,
            invitation_id=uuid4(),
            user_id=uuid4(),
            key_id=uuid4(),
            transaction_id=uuid4(),
            account_id=uuid4(),
            category_id=uuid4(),
            rule_id=uuid4(),
            attachment_id=uuid4(),
            profile_id=uuid4(),
            budget_id=uuid4(),
            subscription_id=uuid4(),
            delivery_id=uuid4(),
            goal_id=uuid4(),
            schedule_id=uuid4(),
            challenge_id=uuid4(),
            report_id=uuid4(),
            record_id=uuid4(),
            beneficiary_id=uuid4(),
        )
        # An empty body: a route that lets the caller in then refuses the body (400) or the
        # made-up id (404 "no such …"); one that does not answers 403 or, to a stranger, 404.
        response = api.commands.request(method, url, json={}, headers=user.headers)
        detail = response.json().get("detail", "")
        if who == "STRANGER":
            assert (response.status_code, detail) == (404, "no such workspace"), (method, path)
        elif ROLES.index(who) < ROLES.index(rule):
            assert response.status_code == 403, (who, method, path, response.text)
        elif (method, path) in UNLOCK_FIRST and response.status_code == 401:
            assert detail == "unlock the vault: an X-Vault-Token is required", (who, method, path)
        else:
            assert response.status_code not in (401, 403), (who, method, path, response.text)
            assert detail != "no such workspace", (who, method, path)
