"""``centsource import FILE --workspace W --account A``: a statement file imported from the
host's shell, as ``POST …/imports`` would, with a progress bar when standard error is a
terminal (a log or a pipe gets only the summary)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from uuid import UUID, uuid4

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from command_api.admin_cli import OPERATOR_ID
from command_api.spreadsheets import read_statement
from domain.base import Actor, DomainError
from domain.ledger.application import Ledger
from domain.ledger.imports import Import
from domain.ledger.statements import CsvProfile, StatementError
from infra import database
from infra.settings import Settings

BAR_WIDTH = 30  # characters
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
    console: Console | None = None,
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
    bar = Bar(console or Console(stderr=True), started)
    try:
        with bar.progress:  # stopped before anything else is said
            database.create_schema(settings)
            ledger = Ledger(database.event_store_env(settings))
            profile = None
            if saved_profile:
                saved = ledger.import_profile(workspace_id, saved_profile).settings
                profile = CsvProfile.from_settings(saved)
            bar.show("reading", 0, 1)
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
                progress=bar.show,
            )
            total = len(statement.lines) + len(statement.rejected)
            bar.show("checked" if dry_run else "saved", total, total)
    except KeyboardInterrupt:
        # An import is saved in chunks, each one transaction: cut short, it keeps the chunks
        # committed before (importing the file again adds the rest, none twice). A Ctrl-C
        # that lands while the last commit is on its way may find the whole import kept.
        kept = ledger is not None and ledger.find(Import, import_id) is not None
        if kept:
            said = f"interrupted: import {import_id} was saved already"
        elif bar.saved:
            said = (
                f"interrupted: {bar.saved} transactions saved; import the file again for the rest"
            )
        else:
            said = "interrupted: nothing saved"
        print(said, file=sys.stderr)
        raise SystemExit(INTERRUPTED) from None
    except StatementError as error:
        raise SystemExit(f"{path.name}: {error}") from None
    except DomainError as error:
        raise SystemExit(error.detail) from None
    finally:
        if ledger is not None:
            ledger.close()
    seconds = time.monotonic() - started
    timing = f"in {seconds:.1f} s ({total / seconds:,.0f} lines/s)"
    if dry_run:
        print(
            f"would import {report.imported}, skip {len(report.skipped)} already there, "
            f"reject {len(report.rejected)} {timing}; a dry run: nothing saved"
        )
    else:
        print(
            f"{report.imported} imported, {len(report.skipped)} already there, "
            f"{len(report.rejected)} rejected {timing}"
        )
    for row in report.rejected[:SHOWN_REJECTIONS]:
        print(f"  line {row['line']}: {row['reason']}")
    if not dry_run:
        print(f"import {report.import_id} at position {report.position}")


class Bar:
    """The import's progress on the console: a bar while it is a terminal, nothing otherwise."""

    def __init__(self, console: Console, started: float) -> None:
        self.started = started
        self.progress = Progress(
            TextColumn("{task.description:<8}"),
            BarColumn(bar_width=BAR_WIDTH),
            MofNCompleteColumn(),
            TextColumn("lines  {task.fields[rate]:,.0f}/s"),
            console=console,
            disable=not console.is_terminal,
        )
        self.task = self.progress.add_task("reading", total=1, rate=0.0)
        self.saved = 0  # transactions in chunks committed so far

    def show(self, stage: str, done: int, total: int) -> None:
        if stage == "kept":
            self.saved = done
            return
        rate = done / max(time.monotonic() - self.started, 1e-6)
        self.progress.update(
            self.task, description=stage, completed=done, total=max(total, 1), rate=rate
        )
