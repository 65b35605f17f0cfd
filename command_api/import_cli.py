"""``centsource import FILE --workspace W --account A``: a statement file imported from the
host's shell, as ``POST …/imports`` would, with a progress bar on standard error."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from uuid import UUID, uuid4

from command_api.admin_cli import OPERATOR_ID
from command_api.spreadsheets import read_statement
from domain.base import Actor, DomainError
from domain.ledger.application import Ledger
from domain.ledger.imports import Import
from domain.ledger.statements import CsvProfile, StatementError
from infra import database
from infra.settings import Settings

BAR_WIDTH = 30
SHOWN_REJECTIONS = 20
INTERRUPTED = 130  # the shell's status for a command stopped by SIGINT


def import_file(
    settings: Settings,
    file: str,
    workspace: str,
    account: str,
    format: str | None,
    profile_id: str | None,
    dry_run: bool,
) -> None:
    path = Path(file)
    try:
        workspace_id, account_id = UUID(workspace), UUID(account)
        saved_profile = UUID(profile_id) if profile_id else None
        content = path.read_bytes()
    except ValueError:
        raise SystemExit("--workspace, --account and --profile take ids (UUIDs)") from None
    except OSError as error:
        raise SystemExit(f"cannot read {file}: {error.strerror}") from None
    import_id = uuid4()
    ledger: Ledger | None = None
    started = time.monotonic()
    try:
        database.create_schema(settings)
        ledger = Ledger(database.event_store_env(settings))
        profile = None
        if saved_profile:
            saved = ledger.import_profile(workspace_id, saved_profile).settings
            profile = CsvProfile.from_settings(saved)
        _show("reading", 0, 1, started)
        statement = read_statement(content, format, path.name, profile)
        report = ledger.import_statement(
            import_id,
            workspace_id,
            account_id,
            path.name,
            statement.format,
            statement.lines,
            statement.rejected,
            dry_run,
            Actor(OPERATOR_ID, f"cli-{uuid4()}"),
            progress=lambda stage, done, total: _show(stage, done, total, started),
        )
    except KeyboardInterrupt:
        # The import is one transaction: cut short before its commit, nothing of it is kept.
        # A Ctrl-C that lands while the commit is on its way may find it kept, though.
        kept = ledger is not None and ledger.find(Import, import_id) is not None
        print(
            f"\ninterrupted: import {import_id} was saved already"
            if kept
            else "\ninterrupted: nothing saved",
            file=sys.stderr,
        )
        raise SystemExit(INTERRUPTED) from None
    except StatementError as error:
        raise SystemExit(f"\n{path.name}: {error}") from None
    except DomainError as error:
        raise SystemExit(f"\n{error.detail}") from None
    finally:
        if ledger is not None:
            ledger.close()
    total = len(statement.lines) + len(statement.rejected)
    _show("saved" if not dry_run else "checked", total, total, started)
    seconds = time.monotonic() - started
    print(file=sys.stderr)
    print(
        f"{report.imported} imported, {len(report.skipped)} already there, "
        f"{len(report.rejected)} rejected in {seconds:.1f} s "
        f"({total / seconds:,.0f} lines/s)" + (" — dry run, nothing saved" if dry_run else "")
    )
    for row in report.rejected[:SHOWN_REJECTIONS]:
        print(f"  line {row['line']}: {row['reason']}")
    if not dry_run:
        print(f"import {report.import_id} at position {report.position}")


def _show(stage: str, done: int, total: int, started: float) -> None:
    filled = BAR_WIDTH * done // max(total, 1)
    rate = done / max(time.monotonic() - started, 1e-6)
    bar = "#" * filled + "." * (BAR_WIDTH - filled)
    print(
        f"\r{stage:<8} [{bar}] {done:,}/{total:,} lines  {rate:,.0f}/s ",
        end="",
        file=sys.stderr,
        flush=True,
    )
