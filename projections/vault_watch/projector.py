"""Follows each vault's dead man's switch; by its clock, mails the members a reminder halfway
through the grace period, triggers the switch once the check-in interval and the grace period
have passed without a check-in, and mails each confirmed beneficiary their release link and,
apart, its code.

A process manager, not a read model: it is never rebuilt. Exactly once: the trigger is
recorded on the Switch aggregate (a second watch, or a restart, finds it triggered and
records nothing; the release ids derive from the workspace, the check-in and the
beneficiary), and each mail is claimed in ``vault_watch_mail`` before it is sent. A mail the
server refuses gives its claim back and is tried at the next look; a crash between claiming
and sending loses that mail rather than sending it twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import structlog

from domain.base import Actor, ConflictError
from domain.vault.application import VAULT_WATCH_ACTOR_ID, Vault
from domain.vault.beneficiary import Beneficiary
from domain.vault.release import Release
from domain.vault.switch import Switch
from infra.database import async_pool, event_store_env
from infra.mail import DevMailbox, Mail, Mailer, SmtpMailer
from infra.settings import Settings
from infra.vault_keys import Keyring
from projections.runtime import Cursor, Projection, handles, open_connection

log = structlog.get_logger("vault_watch")
TABLES = (
    """CREATE TABLE IF NOT EXISTS vault_watch (
        workspace_id uuid PRIMARY KEY,
        enabled boolean NOT NULL,
        interval_days integer NOT NULL,
        grace_days integer NOT NULL,
        last_check_in timestamptz NOT NULL,
        reminded_for timestamptz,
        triggered_for timestamptz,
        mailed_for timestamptz
    )""",
    """CREATE TABLE IF NOT EXISTS vault_watch_beneficiaries (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        confirmed boolean NOT NULL DEFAULT false,
        removed boolean NOT NULL DEFAULT false
    )""",
    """CREATE TABLE IF NOT EXISTS vault_watch_mail (
        mail_id text PRIMARY KEY,
        claimed_at timestamptz NOT NULL DEFAULT now()
    )""",
)


class VaultWatch(Projection):
    name = "vault_watch"
    tables = TABLES

    def __init__(
        self, settings: Settings, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.vault: Vault | None = None
        self.conn: Any = None
        self.pool: Any = None
        self.mailer: Mailer | None = None

    @handles(Switch.Created, Switch.Configured)
    async def on_switch_set(self, cur: Cursor, event: Any, position: int) -> None:
        await cur.execute(
            "INSERT INTO vault_watch (workspace_id, enabled, interval_days, grace_days, "
            "last_check_in) VALUES (%s, %s, %s, %s, %s) ON CONFLICT (workspace_id) DO UPDATE "
            "SET enabled = excluded.enabled, interval_days = excluded.interval_days, "
            "grace_days = excluded.grace_days, last_check_in = excluded.last_check_in, "
            "triggered_for = CASE WHEN excluded.enabled THEN vault_watch.triggered_for END",
            (
                event.workspace_id,
                event.enabled,
                event.check_in_interval_days,
                event.grace_period_days,
                event.at,
            ),
        )

    @handles(Switch.CheckedIn)
    async def on_checked_in(self, cur: Cursor, event: Any, position: int) -> None:
        await cur.execute(
            "UPDATE vault_watch SET last_check_in = %s, "
            "triggered_for = CASE WHEN %s THEN NULL ELSE triggered_for END "
            "WHERE workspace_id = %s",
            (event.at, event.cancelled, event.workspace_id),
        )

    @handles(Switch.ReminderSent)
    async def on_reminder_sent(self, cur: Cursor, event: Any, position: int) -> None:
        await cur.execute(
            "UPDATE vault_watch SET reminded_for = %s WHERE workspace_id = %s",
            (event.check_in, event.workspace_id),
        )

    @handles(Switch.Triggered)
    async def on_triggered(self, cur: Cursor, event: Any, position: int) -> None:
        await cur.execute(
            "UPDATE vault_watch SET triggered_for = %s WHERE workspace_id = %s",
            (event.last_check_in, event.workspace_id),
        )

    @handles(Beneficiary.Created)
    async def on_beneficiary_added(self, cur: Cursor, event: Any, position: int) -> None:
        await cur.execute(
            "INSERT INTO vault_watch_beneficiaries (id, workspace_id) VALUES (%s, %s) "
            "ON CONFLICT (id) DO NOTHING",
            (event.originator_id, event.workspace_id),
        )

    @handles(Beneficiary.Changed, Beneficiary.Confirmed, Beneficiary.Removed)
    async def on_beneficiary_changed(self, cur: Cursor, event: Any, position: int) -> None:
        if isinstance(event, Beneficiary.Changed) and not event.email_changed:
            return
        await cur.execute(
            "UPDATE vault_watch_beneficiaries SET confirmed = %s, removed = removed OR %s "
            "WHERE id = %s",
            (
                isinstance(event, Beneficiary.Confirmed),
                isinstance(event, Beneficiary.Removed),
                event.originator_id,
            ),
        )

    async def idle(self) -> None:
        """Reminds, triggers and mails what is due by the clock, once."""
        if self.conn is None or self.conn.closed:
            # Its own connection, in autocommit: each claim stays.
            self.conn = await open_connection(self.settings)
            await self.conn.set_autocommit(True)
        now = self.clock()
        rows = await (await self.conn.execute("SELECT * FROM vault_watch WHERE enabled")).fetchall()
        for row in rows:
            interval = timedelta(days=row["interval_days"])
            grace = timedelta(days=row["grace_days"])
            last: datetime = row["last_check_in"]
            if row["triggered_for"] is not None:
                if row["mailed_for"] != row["triggered_for"]:
                    await self._open()
                    await self.release(row["workspace_id"], row["triggered_for"])
            elif now >= last + interval + grace:
                await self._open()
                await self.trigger(row["workspace_id"], now)
            elif now >= last + interval + grace / 2 and row["reminded_for"] != last:
                await self._open()
                await self.remind(row["workspace_id"], now)

    async def trigger(self, workspace_id: UUID, now: datetime) -> None:
        assert self.vault is not None
        found = await (
            await self.conn.execute(
                "SELECT id FROM vault_watch_beneficiaries WHERE workspace_id = %s "
                "AND confirmed AND NOT removed",
                (workspace_id,),
            )
        ).fetchall()
        by = Actor(VAULT_WATCH_ACTOR_ID, f"vault_watch:{workspace_id}:trigger")
        try:
            switch = await asyncio.to_thread(
                self.vault.trigger, workspace_id, [r["id"] for r in found], now, by
            )
        except ConflictError:
            return  # another watch triggered it: its event comes through the log
        if switch is not None and switch.triggered_for is not None:
            log.info("switch triggered", workspace_id=str(workspace_id))
            await self.release(workspace_id, switch.triggered_for)

    async def release(self, workspace_id: UUID, triggered_for: datetime) -> None:
        """Mails each release of this trigger its link and its code, once each."""
        assert self.vault is not None
        switch = await asyncio.to_thread(self.vault.get_switch, workspace_id)
        if switch.triggered_for != triggered_for:
            return  # cancelled since
        failed = False
        for release_id in switch.releases:
            release = await asyncio.to_thread(self.vault.find, Release, release_id)
            beneficiary = await asyncio.to_thread(
                self.vault.find, Beneficiary, release.beneficiary_id if release else release_id
            )
            if release is None or beneficiary is None or beneficiary.removed:
                continue
            person = await asyncio.to_thread(self.vault.person, beneficiary)
            token, code = self.vault.release_link(release_id)
            link = Mail(
                person["email"],
                "Access to a vault left to you on centsource",
                f"{person['name']}, the vault you were named a beneficiary of has been "
                "released to you, because its owners stopped checking in.\n"
                f"Open it with POST /api/vault-release/{token}\n"
                "with the code sent to you in a separate mail. The link works until "
                f"{release.expires_at:%Y-%m-%d} and every view is recorded.",
            )
            code_mail = Mail(
                person["email"],
                "Your code for the vault released to you",
                f"Your code: {code}\nIt opens the link sent in a separate mail. Five wrong "
                "codes end the link.",
            )
            for kind, mail in (("link", link), ("code", code_mail)):
                failed |= not await self._send_once(f"release-{kind}:{release_id}", mail)
        if not failed:
            await self.conn.execute(
                "UPDATE vault_watch SET mailed_for = %s WHERE workspace_id = %s",
                (triggered_for, workspace_id),
            )

    async def remind(self, workspace_id: UUID, now: datetime) -> None:
        assert self.vault is not None
        by = Actor(VAULT_WATCH_ACTOR_ID, f"vault_watch:{workspace_id}:remind")
        try:
            switch = await asyncio.to_thread(self.vault.remind, workspace_id, now, by)
        except ConflictError:
            return
        if switch is None:
            return
        members = await (
            await self.conn.execute(
                "SELECT u.email FROM workspaces_members m JOIN users u ON u.id = m.user_id "
                "WHERE m.workspace_id = %s AND m.role IN ('ADMIN', 'EDITOR') "
                "AND u.email IS NOT NULL ORDER BY u.email",
                (workspace_id,),
            )
        ).fetchall()
        for member in members:
            await self._send_once(
                f"reminder:{workspace_id}:{switch.last_check_in.isoformat()}:{member['email']}",
                Mail(
                    member["email"],
                    "Check in to your vault",
                    "No one has checked in to your workspace's vault since "
                    f"{switch.last_check_in:%Y-%m-%d %H:%M} UTC. Unless someone unlocks it or "
                    f"checks in before {switch.due_at:%Y-%m-%d %H:%M} UTC, the dead man's "
                    "switch releases it to its beneficiaries.",
                ),
            )

    async def _send_once(self, mail_id: str, mail: Mail) -> bool:
        """Sends the mail unless it was claimed before; False when the server refused it."""
        assert self.mailer is not None
        claimed = await (
            await self.conn.execute(
                "INSERT INTO vault_watch_mail (mail_id) VALUES (%s) ON CONFLICT DO NOTHING "
                "RETURNING mail_id",
                (mail_id,),
            )
        ).fetchone()
        if claimed is None:
            return True
        if await self.mailer.send(mail):
            return True
        await self.conn.execute("DELETE FROM vault_watch_mail WHERE mail_id = %s", (mail_id,))
        return False

    async def _open(self) -> None:
        if self.vault is None:
            # Made off the loop: making the event store waits for its lock.
            self.vault = await asyncio.to_thread(
                Vault, event_store_env(self.settings), Keyring(self.settings.secret)
            )
        if self.pool is None:
            if self.settings.smtp_url:
                self.mailer = SmtpMailer(self.settings.smtp_url, self.settings.mail_from)
            else:
                self.pool = async_pool(self.settings, max_size=2)
                await self.pool.open()
                mailbox = DevMailbox(self.pool)
                await mailbox.create_table()
                self.mailer = mailbox

    async def close(self) -> None:
        if self.vault is not None:
            self.vault.close()
            self.vault = None
        if self.conn is not None:
            await self.conn.close()
            self.conn = None
        if self.pool is not None:
            await self.pool.close()
            self.pool = None
        self.mailer = None
