"""The vault over HTTP: PIN, unlock, records sealed at rest and read decrypted (each read
logged), roles, another workspace's ids, lockout, and nothing in the clear in the database."""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

import psycopg
import pytest
from psycopg import sql

from infra.settings import Settings
from tests.api import Api, User

SECRET = f"seed-{uuid4().hex}"  # planted: must appear nowhere in the database
TITLE = f"Ledger wallet {uuid4().hex}"


ADMIN_PIN = "583920"


def vault(ws: str, path: str = "") -> str:
    return f"/api/workspaces/{ws}/vault{path}"


class Household:
    def __init__(self, api: Api, mailbox: Any) -> None:
        self.api = api
        self.mailbox = mailbox
        self.admin = api.user("Ada")
        self.ws = api.workspace(self.admin)
        self.joined_at = 0  # the position of the last member's joining
        self.editor = self.member("Eve", "EDITOR")
        self.viewer = self.member("Vic", "VIEWER")
        self.admin_pin_set = False  # by the first test, which runs first in its process

    def member(self, name: str, role: str) -> User:
        user = self.api.user(name)
        invited = self.api.commands.post(
            f"/api/workspaces/{self.ws}/invitations",
            json={"email": user.email, "role": role},
            headers=self.admin.headers,
        )
        assert invited.status_code == 201, invited.text
        token = self.mailbox(user.email).splitlines()[2]
        accepted = self.api.commands.post(
            "/api/invitations/accept", json={"token": token}, headers=user.headers
        )
        assert accepted.status_code == 200, accepted.text
        self.joined_at = accepted.json()["position"]
        return user

    def unlock_admin(self) -> dict[str, str]:
        """The ADMIN unlocked with ADMIN_PIN, set here where the test that sets it ran in
        another process (``pytest -n 2`` hands a file's tests to both)."""
        if not self.admin_pin_set:
            made = self.api.commands.post(
                vault(self.ws, "/pin"), json={"pin": ADMIN_PIN}, headers=self.admin.headers
            )
            assert made.status_code == 200, made.text
            self.admin_pin_set = True
        return self.unlock(self.admin, ADMIN_PIN)

    def unlock(self, user: User, pin: str) -> dict[str, str]:
        response = self.api.commands.post(
            vault(self.ws, "/unlock"), json={"pin": pin}, headers=user.headers
        )
        assert response.status_code == 200, response.text
        return {**user.headers, "X-Vault-Token": response.json()["vault_token"]}


@pytest.fixture(scope="module")
def home(command_client: Any, read_client: Any, settings: Settings) -> Household:
    return Household(Api(command_client, read_client), _mailbox(settings))


def test_weak_pins_are_refused_and_changing_a_pin_needs_the_old_one(home: Household) -> None:
    post = home.api.commands.post
    for weak in ("000000", "123456", "987654", "121212", "123321", "12345678"):
        refused = post(vault(home.ws, "/pin"), json={"pin": weak}, headers=home.admin.headers)
        assert refused.status_code == 400, (weak, refused.text)
        assert "pin" in refused.json()["errors"]
    bad = post(vault(home.ws, "/pin"), json={"pin": "12ab56"}, headers=home.admin.headers)
    assert bad.status_code == 400
    assert "12ab56" not in bad.text
    assert (
        post(vault(home.ws, "/pin"), json={"pin": "402719"}, headers=home.admin.headers).status_code
        == 200
    )
    again = post(vault(home.ws, "/pin"), json={"pin": ADMIN_PIN}, headers=home.admin.headers)
    assert again.status_code == 400
    assert list(again.json()["errors"]) == ["old_pin"]
    changed = post(
        vault(home.ws, "/pin"),
        json={"pin": ADMIN_PIN, "old_pin": "402719"},
        headers=home.admin.headers,
    )
    assert changed.status_code == 200, changed.text
    wrong_old = post(vault(home.ws, "/unlock"), json={"pin": "402719"}, headers=home.admin.headers)
    assert wrong_old.status_code == 403
    assert "402719" not in wrong_old.text
    home.unlock(home.admin, ADMIN_PIN)
    home.admin_pin_set = True


def test_records_are_sealed_read_decrypted_by_token_and_every_read_is_logged(
    home: Household, settings: Settings
) -> None:
    api = home.api
    post = api.commands.post
    assert (
        post(
            vault(home.ws, "/pin"), json={"pin": "730194"}, headers=home.editor.headers
        ).status_code
        == 200
    )
    no_token = post(
        vault(home.ws, "/records"),
        json={"type": "CRYPTO", "title": TITLE},
        headers=home.editor.headers,
    )
    assert no_token.status_code == 401
    headers = home.unlock(home.editor, "730194")
    created = post(
        vault(home.ws, "/records"),
        json={
            "type": "CRYPTO",
            "title": TITLE,
            "fields": {"seed": SECRET, "exchange": "Kraken"},
            "notes": f"under the stairs {SECRET}",
            "visible_to_beneficiaries": True,
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    record = created.json()
    assert SECRET not in created.text
    assert TITLE not in created.text
    assert (record["type"], record["version"]) == ("CRYPTO", 1)

    # An ADMIN's token is not the EDITOR's: tokens belong to a session.
    admin_headers = home.unlock_admin()
    stolen = {**home.admin.headers, "X-Vault-Token": headers["X-Vault-Token"]}
    assert (
        api.commands.get(vault(home.ws, f"/records/{record['id']}"), headers=stolen).status_code
        == 401
    )

    shown = api.commands.get(vault(home.ws, f"/records/{record['id']}"), headers=headers)
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["title"] == TITLE
    assert body["fields"] == {"seed": SECRET, "exchange": "Kraken"}
    assert body["notes"] == f"under the stairs {SECRET}"

    changed = api.commands.patch(
        vault(home.ws, f"/records/{record['id']}"),
        json={"fields": {"seed": SECRET, "exchange": "Coinbase"}},
        headers={**headers, "If-Match": '"1"'},
    )
    assert changed.status_code == 412, changed.text  # the view made it version 2
    changed = api.commands.patch(
        vault(home.ws, f"/records/{record['id']}"),
        json={"fields": {"seed": SECRET, "exchange": "Coinbase"}},
        headers={**headers, "If-Match": '"2"'},
    )
    assert changed.status_code == 200, changed.text
    again = api.commands.get(vault(home.ws, f"/records/{record['id']}"), headers=admin_headers)
    assert again.json()["fields"]["exchange"] == "Coinbase"
    assert again.json()["title"] == TITLE

    attached = post(
        vault(home.ws, f"/records/{record['id']}/attachments"),
        files={"file": ("will.txt", f"my will {SECRET}".encode(), "text/plain")},
        headers=headers,
    )
    assert attached.status_code == 201, attached.text
    download = api.commands.get(
        vault(home.ws, f"/records/{record['id']}/attachments/{attached.json()['id']}"),
        headers=headers,
    )
    assert download.status_code == 200
    assert download.content == f"my will {SECRET}".encode()

    listed = api.reads.get(
        vault(home.ws, "/records"),
        params={"min_position": _head(settings)},
        headers=headers,
    )
    assert listed.status_code == 200, listed.text
    [row] = [r for r in listed.json()["data"] if r["id"] == record["id"]]
    assert (row["title"], row["type"], row["attachments"]) == (TITLE, "CRYPTO", 1)
    assert "fields" not in row
    assert api.reads.get(vault(home.ws, "/records"), headers=home.editor.headers).status_code == 401

    log = api.reads.get(
        vault(home.ws, "/access-log"), params={"min_position": _head(settings)}, headers=headers
    )
    assert log.status_code == 200, log.text
    views = [e for e in log.json()["data"] if e["action"] == "VIEWED"]
    assert [(e["actor_id"], e["record_id"]) for e in views] == [
        (home.editor.id, record["id"]),  # the download
        (home.admin.id, record["id"]),
        (home.editor.id, record["id"]),
    ]
    assert all(e["session_id"] for e in views)
    assert {e["action"] for e in log.json()["data"]} >= {"VIEWED", "UNLOCKED"}

    # Nothing of it in the clear anywhere in the database: the log, read models, blobs, mail.
    assert _plaintext_anywhere(settings, SECRET) == []
    assert _plaintext_anywhere(settings, TITLE) == []

    deleted = api.commands.delete(vault(home.ws, f"/records/{record['id']}"), headers=headers)
    assert deleted.status_code == 200
    assert (
        api.commands.get(vault(home.ws, f"/records/{record['id']}"), headers=headers).status_code
        == 404
    )


def test_viewers_are_refused_and_another_workspaces_records_are_not_found(home: Household) -> None:
    api = home.api
    refused = api.commands.post(
        vault(home.ws, "/pin"), json={"pin": "730194"}, headers=home.viewer.headers
    )
    assert refused.status_code == 403
    assert (
        api.reads.get(
            vault(home.ws, "/records"),
            params={"min_position": home.joined_at},  # a member by then: refused, not unknown
            headers=home.viewer.headers,
        ).status_code
        == 403
    )
    headers = home.unlock_admin()
    made = api.commands.post(
        vault(home.ws, "/records"), json={"type": "NOTE", "title": "Safe code"}, headers=headers
    )
    assert made.status_code == 201
    stranger = api.user("Mallory")
    elsewhere = api.workspace(stranger)
    assert (
        api.commands.post(
            vault(elsewhere, "/pin"), json={"pin": "918273"}, headers=stranger.headers
        ).status_code
        == 200
    )
    theirs = {**stranger.headers, "X-Vault-Token": _token(api, elsewhere, stranger, "918273")}
    assert (
        api.commands.get(
            vault(elsewhere, f"/records/{made.json()['id']}"), headers=theirs
        ).status_code
        == 404
    )
    # Their token does not open this vault, nor this one theirs.
    assert (
        api.commands.get(
            vault(home.ws, f"/records/{made.json()['id']}"), headers=theirs
        ).status_code
        == 404
    )
    mine_there = {**stranger.headers, "X-Vault-Token": headers["X-Vault-Token"]}
    assert api.commands.get(vault(elsewhere, "/dms"), headers=mine_there).status_code == 401
    hostile = api.commands.post(
        vault(home.ws, "/records"),
        json={"type": "NOTE", "title": "a\x00b", "fields": {"k": "v\x07"}},
        headers=headers,
    )
    assert hostile.status_code == 400
    unknown = api.commands.post(
        vault(home.ws, "/records"), json={"type": "GOLD", "title": "x"}, headers=headers
    )
    assert unknown.status_code == 400
    huge = api.commands.post(
        vault(home.ws, "/records"),
        json={"type": "NOTE", "title": "x", "fields": {f"k{i}": "v" for i in range(51)}},
        headers=headers,
    )
    assert huge.status_code == 400


def test_five_wrong_pins_lock_the_vault_with_retry_after_and_mail_the_admins(
    home: Household,
) -> None:
    mailbox = home.mailbox
    api = home.api
    user = home.member("Lou", "EDITOR")
    assert (
        api.commands.post(
            vault(home.ws, "/pin"), json={"pin": "640581"}, headers=user.headers
        ).status_code
        == 200
    )
    for left in (4, 3, 2, 1):
        wrong = api.commands.post(
            vault(home.ws, "/unlock"), json={"pin": "111112"}, headers=user.headers
        )
        assert wrong.status_code == 403
        assert f"{left} tries" in wrong.json()["errors"]["pin"][0]
    locked = api.commands.post(
        vault(home.ws, "/unlock"), json={"pin": "111112"}, headers=user.headers
    )
    assert locked.status_code == 429, locked.text
    assert 899 <= int(locked.headers["retry-after"]) <= 900
    right = api.commands.post(
        vault(home.ws, "/unlock"), json={"pin": "640581"}, headers=user.headers
    )
    assert right.status_code == 429  # even the right PIN, while locked
    mail = mailbox(home.admin.email)
    assert "Lou" in mail
    assert "locked" in mail
    assert "111112" not in mail
    assert "640581" not in mail


def _mailbox(settings: Settings) -> Any:
    def newest_to(email: str) -> str:
        with psycopg.connect(settings.database) as conn:
            row = conn.execute(
                sql.SQL(
                    "SELECT body FROM {}.dev_mailbox WHERE recipient = %s ORDER BY id DESC"
                ).format(sql.Identifier(settings.database_schema)),
                (email,),
            ).fetchone()
        assert row is not None, f"no mail to {email}"
        return str(row[0])

    return newest_to


def _token(api: Api, ws: str, user: User, pin: str) -> str:
    response = api.commands.post(vault(ws, "/unlock"), json={"pin": pin}, headers=user.headers)
    assert response.status_code == 200, response.text
    token: str = response.json()["vault_token"]
    return token


def _head(settings: Settings) -> int:
    with psycopg.connect(settings.database) as conn:
        row = conn.execute(
            sql.SQL("SELECT max(notification_id) FROM {}.centsource_events").format(
                sql.Identifier(settings.database_schema)
            )
        ).fetchone()
    assert row is not None
    return int(row[0])


def _plaintext_anywhere(settings: Settings, plaintext: str) -> list[str]:
    """Every table.column of the schema holding the text (text, jsonb or bytes)."""
    needle = plaintext.encode()
    found = []
    with psycopg.connect(settings.database) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
            "AND table_type = 'BASE TABLE'",
            (settings.database_schema,),
        ).fetchall()
        for (table,) in tables:
            cursor = conn.execute(
                sql.SQL("SELECT * FROM {}.{}").format(
                    sql.Identifier(settings.database_schema), sql.Identifier(table)
                )
            )
            names = [c.name for c in cursor.description or ()]
            for row in cursor:
                for name, value in zip(names, row, strict=True):
                    if isinstance(value, memoryview | bytes):
                        hit = needle in bytes(value)
                    elif isinstance(value, dict | list):
                        hit = plaintext in json.dumps(value, default=str)  # uuid[] too
                    else:
                        hit = plaintext in str(value)
                    if hit:
                        found.append(f"{table}.{name}")
    return found
