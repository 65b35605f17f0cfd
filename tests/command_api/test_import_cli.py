"""``centsource import``: a statement imported from the shell, shown as it goes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from command_api.import_cli import import_file
from infra.cli import parser
from infra.settings import Settings
from tests.api import Api

FIXTURES = Path(__file__).parent.parent / "fixtures"


def test_the_shell_import_is_quiet_off_a_terminal_and_its_transactions_are_read(
    api: Api, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace, currency="USD")
    args = parser().parse_args(
        ["import", str(FIXTURES / "csv/paypal.csv"), "--workspace", workspace, "--account", account]
    )
    assert (args.command, args.dry_run, args.format) == ("import", False, None)

    import_file(settings, args.file, args.workspace, args.account, None, None, args.dry_run)
    out, err = capsys.readouterr()
    assert err == ""  # standard error is no terminal here: a log gets no bar
    assert out.startswith("2 imported, 0 already there, 0 rejected")
    position = int(out.rsplit("at position ", 1)[1])
    listed = api.read(user, f"/api/workspaces/{workspace}/transactions", position)
    assert listed["meta"]["total"] == 2

    import_file(settings, args.file, args.workspace, args.account, None, None, False)
    assert capsys.readouterr().out.startswith("0 imported, 2 already there")


def test_the_shell_import_shows_a_progress_bar_on_a_terminal(api: Api, settings: Settings) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace, currency="USD")
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, color_system=None, width=100)
    paypal = str(FIXTURES / "csv/paypal.csv")

    import_file(settings, paypal, workspace, account, None, None, False, console=terminal)
    last = screen.getvalue().rsplit("\r", 1)[-1]  # the bar as it was left
    assert "saved" in last
    assert "2/2 lines" in last


def test_a_dry_run_from_the_shell_says_what_it_would_import_and_saves_nothing(
    api: Api, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace, currency="USD")
    paypal = str(FIXTURES / "csv/paypal.csv")

    import_file(settings, paypal, workspace, account, None, None, True)
    out = capsys.readouterr().out
    assert out.startswith("would import 2, skip 0 already there, reject 0 in ")
    assert "nothing saved" in out
    assert "position" not in out

    import_file(settings, paypal, workspace, account, None, None, False)
    assert capsys.readouterr().out.startswith("2 imported, 0 already there")


def test_the_shell_import_says_why_it_cannot(api: Api, settings: Settings, tmp_path: Path) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    broken = tmp_path / "broken.csv"
    broken.write_text("Foo,Bar\n1,2\n")
    with pytest.raises(SystemExit, match="no date column"):
        import_file(settings, str(broken), workspace, account, None, None, False)
    paypal = str(FIXTURES / "csv/paypal.csv")
    with pytest.raises(SystemExit, match="no such account"):
        import_file(settings, paypal, workspace, workspace, None, None, False)
    with pytest.raises(SystemExit, match="cannot read"):
        import_file(settings, str(tmp_path / "missing.csv"), workspace, account, None, None, False)
