"""``centsource --help`` and each command's help: what it does, the values it takes, the
environment variables it reads."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from domain.ledger.statements import FORMATS
from infra.cli import ENVIRONMENT, READS, STATEMENT_FORMATS, parser
from infra.settings import Settings
from infra.supervisor import api_urls
from projections.jobs.kinds import KINDS
from projections.registry import PROCESS_MANAGERS, READ_MODELS


def _commands(cli: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """Every command and subcommand by its words (``projections rebuild``)."""
    found: dict[str, argparse.ArgumentParser] = {}
    for action in cli._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found[name] = sub
                found |= {f"{name} {words}": deeper for words, deeper in _commands(sub).items()}
    return found


def _help(*words: str) -> str:
    cli = parser()
    return (_commands(cli)[" ".join(words)] if words else cli).format_help()


def test_the_help_names_every_setting_as_the_variable_that_sets_it() -> None:
    text = _help()
    for name in Settings.__struct_fields__:
        assert f"CENTSOURCE_{name.upper()}" in text, name
    assert "(default 127.0.0.1)" in text  # defaults come from the settings themselves


def test_every_command_says_what_it_does_and_lists_the_variables_it_reads() -> None:
    commands = _commands(parser())
    assert {"up", "demo", "worker", "projections rebuild", "admin grant"} <= set(commands)
    for words, command in commands.items():
        text = command.format_help()
        assert command.description, words
        if command._subparsers is None:  # a command that runs, not a group of them
            assert "environment:\n  CENTSOURCE_" in text, words
    assert "CENTSOURCE_COMMAND_PORT" in _help("demo")
    assert "CENTSOURCE_READ_PORT" not in _help("command-api")
    assert "CENTSOURCE_WEBHOOK_TIMEOUT" in _help("webhooks")


def test_the_help_says_what_every_setting_is_and_names_no_other() -> None:
    fields = set(Settings.__struct_fields__)
    assert set(ENVIRONMENT) == fields
    for command, names in READS.items():
        assert set(names) <= fields, command


def test_the_help_lists_the_projections_and_job_kinds_a_command_takes() -> None:
    project, rebuild, worker = _help("project"), _help("projections", "rebuild"), _help("worker")
    for name in (*READ_MODELS, *PROCESS_MANAGERS):
        assert f" {name}" in project, name
    for name in READ_MODELS:
        assert f" {name}" in rebuild, name
    for name in PROCESS_MANAGERS:  # never rebuilt
        assert name not in rebuild.split("read models:")[1].split("environment:")[0]
    for kind in KINDS:
        assert kind in worker, kind


def test_the_import_takes_the_formats_statements_come_in() -> None:
    assert STATEMENT_FORMATS == FORMATS
    with pytest.raises(SystemExit):
        parser().parse_args(
            ["import", "x.csv", "--workspace", "w", "--account", "a", "--format", "pdf"]
        )


def test_a_process_that_parses_its_arguments_imports_no_package_it_does_not_run() -> None:
    check = (
        "import sys; from infra.cli import parser; parser().parse_args(['command-api']); "
        "assert 'projections.registry' not in sys.modules, 'projections imported'"
    )
    subprocess.run([sys.executable, "-c", check], check=True)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", ("http://127.0.0.1:9100", "http://127.0.0.1:9101")),
        ("0.0.0.0", ("http://127.0.0.1:9100", "http://127.0.0.1:9101")),
        ("::", ("http://[::1]:9100", "http://[::1]:9101")),
        ("api.internal", ("http://api.internal:9100", "http://api.internal:9101")),
    ],
)
def test_demo_and_up_reach_the_apis_on_the_configured_host_and_ports(
    host: str, expected: tuple[str, str]
) -> None:
    environ = {
        "CENTSOURCE_HOST": host,
        "CENTSOURCE_COMMAND_PORT": "9100",
        "CENTSOURCE_READ_PORT": "9101",
    }
    assert api_urls(Settings.from_env(environ)) == expected
