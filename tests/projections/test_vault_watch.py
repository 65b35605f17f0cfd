"""The vault watch, by a moved clock: a reminder halfway through the grace period, the
trigger, release links mailed once to confirmed beneficiaries whatever restarts or runs
beside it, a release opened with its code (each view logged), and a check-in cancelling it."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql

from infra.settings import Settings
from projections.vault_watch.projector import VaultWatch
from tests.api import Api
from tests.command_api.test_vault import Household, _mailbox, vault
from tests.projections.processes import head, query, wait_until


def watch_at(settings: Settings, *clocks: datetime) -> None:
    """Watches started afresh, one per clock, looking at once."""

    async def look(now: datetime) -> None:
        watch = VaultWatch(settings, clock=lambda: now)
        try:
            await watch.idle()
        finally:
            await watch.close()

    async def run() -> None:
        await asyncio.gather(*(look(now) for now in clocks))

    asyncio.run(run())


def mails_to(settings: Settings, email: str) -> list[tuple[str, str]]:
    with psycopg.connect(settings.database) as conn:
        rows = conn.execute(
            sql.SQL(
                "SELECT subject, body FROM {}.dev_mailbox WHERE recipient = %s ORDER BY id"
            ).format(sql.Identifier(settings.database_schema)),
            (email,),
        ).fetchall()
    return [(str(s), str(b)) for s, b in rows]


def caught_up(settings: Settings) -> None:
    last = head(settings)
    watched = "SELECT position FROM projection_positions WHERE name = %s"
    wait_until(
        lambda: all(query(settings, watched, n)[0][0] >= last for n in ("vault_watch", "vault")),
        20,
        "the vault projections",
    )


def test_the_switch_reminds_triggers_releases_once_and_a_check_in_cancels_it(
    command_client: Any, read_client: Any, settings: Settings
) -> None:
    home = Household(Api(command_client, read_client), _mailbox(settings))
    api, post = home.api, home.api.commands.post
    assert (
        post(vault(home.ws, "/pin"), json={"pin": "402719"}, headers=home.admin.headers).status_code
        == 200
    )
    headers = home.unlock(home.admin, "402719")
    shown = post(
        vault(home.ws, "/records"),
        json={
            "type": "INSURANCE",
            "title": "Life policy",
            "fields": {"number": "LP-77"},
            "visible_to_beneficiaries": True,
        },
        headers=headers,
    ).json()
    post(vault(home.ws, "/records"), json={"type": "PASSWORD", "title": "Mail"}, headers=headers)
    kid = f"kid-{home.ws[:8]}@example.com"
    stranger = f"other-{home.ws[:8]}@example.com"
    added = post(
        vault(home.ws, "/beneficiaries"),
        json={"name": "Kid", "email": kid, "relationship": "daughter", "records": "all"},
        headers=headers,
    )
    assert added.status_code == 201, added.text
    assert added.json()["confirmed"] is False
    post(
        vault(home.ws, "/beneficiaries"),
        json={
            "name": "Other",
            "email": stranger,
            "relationship": "friend",
            "records": [shown["id"]],
        },
        headers=headers,
    )  # never confirms: gets nothing
    token = mails_to(settings, kid)[-1][1].strip().splitlines()[-1]
    wrong = post("/api/vault-beneficiaries/confirm", json={"token": token[:-2] + "xx"})
    assert wrong.status_code == 404
    confirmed = post("/api/vault-beneficiaries/confirm", json={"token": token})
    assert confirmed.status_code == 200, confirmed.text
    configured = post(
        vault(home.ws, "/dms"),
        json={"check_in_interval_days": 7, "grace_period_days": 2, "enabled": True},
        headers=headers,
    )
    assert configured.status_code == 200, configured.text
    start = datetime.fromisoformat(configured.json()["last_check_in"])
    assert datetime.fromisoformat(configured.json()["due_at"]) == start + timedelta(days=9)
    caught_up(settings)

    watch_at(settings, start + timedelta(days=7, hours=23))  # not yet half the grace
    assert [s for s, _ in mails_to(settings, home.admin.email) if "Check in" in s] == []
    watch_at(settings, start + timedelta(days=8, hours=1), start + timedelta(days=8, hours=1))
    reminders = [
        b for s, b in mails_to(settings, home.admin.email) if s == "Check in to your vault"
    ]
    assert len(reminders) == 1
    assert len([s for s, _ in mails_to(settings, home.editor.email) if "Check in" in s]) == 1
    caught_up(settings)
    watch_at(settings, start + timedelta(days=8, hours=2))  # a restart: no second reminder
    assert len([s for s, _ in mails_to(settings, home.admin.email) if "Check in" in s]) == 1

    due = start + timedelta(days=9, minutes=1)
    watch_at(settings, due, due)  # two watches at once
    caught_up(settings)
    watch_at(settings, due + timedelta(hours=1))  # and a restart
    kid_mails = mails_to(settings, kid)
    links = [b for s, b in kid_mails if s == "Access to a vault left to you on centsource"]
    codes = [b for s, b in kid_mails if s == "Your code for the vault released to you"]
    assert (len(links), len(codes)) == (1, 1)
    assert [
        s for s, _ in mails_to(settings, stranger) if "vault" in s.lower() and "Access" in s
    ] == []
    found = re.search(r"/api/vault-release/(\S+)", links[0])
    assert found is not None
    link = f"/api/vault-release/{found.group(1)}"
    code = re.search(r"\d{8}", codes[0])
    assert code is not None
    assert code.group(0) not in links[0]

    refused = post(link, json={"code": "00000000" if code.group(0) != "00000000" else "11111111"})
    assert refused.status_code == 403
    opened = post(link, json={"code": code.group(0)})
    assert opened.status_code == 200, opened.text
    [record] = opened.json()["records"]  # the visible one only
    assert (record["id"], record["title"], record["fields"]) == (
        shown["id"],
        "Life policy",
        {"number": "LP-77"},
    )
    log = api.reads.get(
        vault(home.ws, "/access-log"),
        params={"min_position": head(settings)},
        headers=home.unlock(home.admin, "402719"),
    )
    assert log.status_code == 200, log.text
    released_views = [e for e in log.json()["data"] if e["action"] == "VIEWED" and e["release_id"]]
    assert [(e["record_id"], e["actor_id"]) for e in released_views] == [
        (shown["id"], added.json()["id"])
    ]

    # The unlock above was a check-in within the grace period: the release is cancelled.
    gone = post(link, json={"code": code.group(0)})
    assert gone.status_code == 410, gone.text
    state = api.commands.get(vault(home.ws, "/dms"), headers=home.unlock(home.admin, "402719"))
    assert state.json()["triggered_at"] is None
