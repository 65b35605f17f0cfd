"""Where webhooks may go: not to loopback, private, link-local or other non-public addresses
unless CENTSOURCE_WEBHOOK_ALLOW_PRIVATE says so, checked on subscribing and again on every send;
and a delivery is asked again only of the subscription it belongs to."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import msgspec
import pytest
from litestar.testing import TestClient

from infra.settings import Settings
from tests.api import Api
from tests.webhooks.conftest import BackgroundDispatcher
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_deliveries import eventually, subscribe

# Each is, or resolves (by the system's resolver, as the dispatcher's connection would) to,
# an address that is not public.
NOT_PUBLIC = [
    "http://127.0.0.1/",
    "http://127.0.0.1:8080/hook",
    "http://[::1]/",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "https://192.168.1.1/",
    "http://100.64.0.1/",
    "http://0.0.0.0/",
    "http://224.0.0.1/",
    "http://[fd00::1]/",
    "http://[fe80::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://localhost/",
    "http://LOCALHOST./",
    "http://hooks.localhost:8000/",
    "http://2130706433/",
    "http://0x7f.1/",
    "http://127.1/",
    "http://017700000001/",
]


@pytest.fixture
def strict_api(command_client: TestClient[Any], read_client: TestClient[Any]) -> Api:
    """The session's own command API: private addresses are not allowed there."""
    return Api(command_client, read_client)


def test_subscribing_to_an_address_that_is_not_public_is_400_on_the_url(strict_api: Api) -> None:
    api = strict_api
    user = api.user()
    created = api.commands.post(
        "/api/workspaces", json={"name": "Home", "base_currency": "EUR"}, headers=user.headers
    )
    workspace = created.json()["id"]
    for url in NOT_PUBLIC:
        response = api.commands.post(
            f"/api/workspaces/{workspace}/webhooks", json={"url": url}, headers=user.headers
        )
        assert response.status_code == 400, (url, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "public addresses only" in response.json()["errors"]["url"][0], url
    # Read at the workspace's creation: a read before the projections had it was a 404.
    path = f"/api/workspaces/{workspace}/webhooks"
    listed = api.read(user, path, created.json()["position"])["data"]
    assert listed == []


def test_changing_a_url_to_an_address_that_is_not_public_is_400_and_changes_nothing(
    strict_api: Api,
) -> None:
    api = strict_api
    user = api.user()
    workspace = api.workspace(user)
    created = api.commands.post(
        f"/api/workspaces/{workspace}/webhooks",
        json={"url": "https://93.184.215.14/hook"},
        headers=user.headers,
    )
    assert created.status_code == 201, created.text
    path = f"/api/workspaces/{workspace}/webhooks/{created.json()['id']}"
    for url in ("http://169.254.169.254/", "http://2130706433/"):
        changed = api.commands.patch(path, json={"url": url}, headers=user.headers)
        assert changed.status_code == 400, (url, changed.text)
        assert list(changed.json()["errors"]) == ["url"]
    shown = api.read(user, path, created.json()["position"])
    assert shown["url"] == "https://93.184.215.14/hook"
    assert shown["version"] == created.json()["version"]


def test_a_public_address_is_accepted_and_a_name_that_does_not_resolve_with_a_warning(
    strict_api: Api,
) -> None:
    api = strict_api
    user = api.user()
    workspace = api.workspace(user)
    public = api.commands.post(
        f"/api/workspaces/{workspace}/webhooks",
        json={"url": "https://93.184.215.14:8443/hook"},  # a non-standard port is fine
        headers=user.headers,
    )
    assert public.status_code == 201, public.text
    assert "warnings" not in public.json()
    # .invalid never resolves (RFC 6761): the dispatcher checks on each send anyway.
    unresolved = api.commands.post(
        f"/api/workspaces/{workspace}/webhooks",
        json={"url": "https://hooks.example.invalid/hook"},
        headers=user.headers,
    )
    assert unresolved.status_code == 201, unresolved.text
    [warning] = unresolved.json()["warnings"]
    assert "hooks.example.invalid does not resolve" in warning


def test_only_http_and_https_urls_are_accepted(strict_api: Api) -> None:
    api = strict_api
    user = api.user()
    workspace = api.workspace(user)
    for url in ("ftp://93.184.215.14/hook", "file:///etc/passwd", "gopher://93.184.215.14/"):
        response = api.commands.post(
            f"/api/workspaces/{workspace}/webhooks", json={"url": url}, headers=user.headers
        )
        assert response.status_code == 400, (url, response.text)
        assert list(response.json()["errors"]) == ["url"], url


@pytest.fixture
def strict_dispatcher(fast_settings: Settings, projector: object) -> Iterator[BackgroundDispatcher]:
    background = BackgroundDispatcher(
        msgspec.structs.replace(fast_settings, webhook_allow_private=False)
    )
    yield background
    background.stop()


def test_a_loopback_subscription_is_refused_at_send_time_when_the_dispatcher_disallows_it(
    api: Api, receiver: Receiver, strict_dispatcher: object
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    # Made where private addresses are allowed (or before they were refused, or a name that
    # resolved elsewhere then): the dispatcher's own check is what keeps it from connecting.
    subscription = subscribe(api, user, workspace, receiver.url("/refused"), "transaction.created")
    api.record(user, workspace, account)
    path = f"/api/workspaces/{workspace}/webhooks/{subscription['id']}/deliveries"
    [delivery] = eventually(
        lambda: [d for d in api.read(user, path)["data"] if d["status"] == "FAILED"],
        "the delivery failed",
    )
    # Refused once, not retried: a policy does not change between attempts.
    [attempt] = delivery["attempts"]
    assert attempt["status_code"] is None
    assert "127.0.0.1 is a loopback address" in attempt["error"]
    assert "public addresses only" in attempt["error"]
    assert delivery["next_attempt_at"] is None
    assert receiver.at("/refused") == []


def test_redelivering_a_delivery_of_another_subscription_or_workspace_is_404(
    api: Api, receiver: Receiver, dispatcher: object
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    elsewhere = api.workspace(user)
    account = api.account(user, workspace)
    mine = subscribe(api, user, workspace, receiver.url("/mine"), "transaction.created")
    sibling = subscribe(api, user, workspace, receiver.url("/sibling"), "transaction.created")
    foreign = subscribe(api, user, elsewhere, receiver.url("/foreign"), "transaction.created")
    api.record(user, workspace, account)
    [delivery] = eventually(
        lambda: api.read(user, f"/api/workspaces/{workspace}/webhooks/{mine['id']}/deliveries")[
            "data"
        ],
        "the delivery",
    )

    def redeliver(workspace_id: str, subscription_id: str, delivery_id: str) -> Any:
        return api.commands.post(
            f"/api/workspaces/{workspace_id}/webhooks/{subscription_id}"
            f"/deliveries/{delivery_id}/redeliver",
            headers=user.headers,
        )

    for workspace_id, subscription_id, delivery_id in (
        (workspace, sibling["id"], delivery["id"]),  # the same workspace's other subscription
        (elsewhere, foreign["id"], delivery["id"]),  # another workspace's subscription
        (workspace, mine["id"], str(uuid4())),  # no such delivery at all
    ):
        response = redeliver(workspace_id, subscription_id, delivery_id)
        assert response.status_code == 404, response.text
        assert response.json()["detail"] == "no such delivery"
    assert redeliver(workspace, mine["id"], delivery["id"]).status_code == 202
