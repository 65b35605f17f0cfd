"""The ``centsource`` command: run the stack or one of its processes, inspect projections."""

from __future__ import annotations

import argparse
import importlib
import textwrap
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import msgspec

from infra.demo import load_demo
from infra.embedded import attach
from infra.logs import configure_logging
from infra.processes import tune_collector
from infra.settings import Settings
from infra.supervisor import PROCESSES, api_urls, ready_lines, up

# Processes are named by dotted path, so infra imports none of the packages it runs.
ENTRY_POINTS = {
    "command-api": "command_api.app:serve",
    "read-api": "read_api.app:serve",
    "project": "projections.registry:project",
    "relay": "projections.registry:relay",
    "webhooks": "projections.webhooks.dispatcher:serve",
    "worker": "projections.jobs.worker:serve",
    "status": "projections.registry:status",
    "rebuild": "projections.registry:rebuild",
    "partition": "projections.registry:partition",
    "admin": "command_api.admin_cli:change_system_role",
    "import": "command_api.import_cli:import_file",
    "vault-rewrap": "command_api.vault_cli:rewrap",
}
STATEMENT_FORMATS = ("csv", "json", "xlsx", "ofx", "qfx", "qif", "camt053")
# Names a command takes, by dotted path too: looked up only when its help is shown.
READ_MODELS = "projections.registry:READ_MODELS"
PARTITIONABLE = "projections.registry:PARTITIONABLE"
PROCESS_MANAGERS = "projections.registry:PROCESS_MANAGERS"
JOB_KINDS = "projections.jobs.kinds:KINDS"

SETTINGS = tuple(Settings.__struct_fields__)
# What each setting is, as the environment variable CENTSOURCE_<NAME>; the defaults come
# from Settings.
ENVIRONMENT = {
    "database_url": "PostgreSQL, postgresql://user:pw@host:5432/db",
    "nats_url": "NATS with JetStream, nats://host:4222",
    "redis_url": "Redis or Valkey, redis://host:6379",
    "secret_key": "signs access tokens; webhook secrets derive from it",
    "data_dir": "where `up` keeps embedded servers' data and records their URLs",
    "database_schema": "the PostgreSQL schema of the log, read models and keys",
    "nats_stream": "the JetStream stream the relay publishes to",
    "host": "the address the APIs listen on",
    "command_port": "the command API's port",
    "read_port": "the read API's port",
    "metrics_port": "GET /metrics of the projector; the relay's is the next port, the "
    "webhook dispatcher's the one after; 0: none",
    "access_token_minutes": "an access token's life",
    "min_position_timeout": "seconds a read waits for its min_position before a 503",
    "log_level": "debug, info, warning or error; JSON lines on stdout",
    "cors_origins": "comma-separated origins browsers may call the APIs from",
    "smtp_url": "smtp:// or smtps:// server for mail; without it, the dev mailbox",
    "mail_from": "the sender of mail",
    "rate_limits": "requests/seconds per tier (strict, expensive, moderate, lenient), or off",
    "login_lockout": "failed log-ins per email before it is locked for the window",
    "attachments_dir": "a directory for receipts; without it, PostgreSQL",
    "webhook_retry_schedule": "seconds to wait after each failed webhook attempt",
    "webhook_timeout": "seconds a webhook subscriber has to answer",
    "webhook_workers": "webhook deliveries in flight per dispatcher",
    "webhook_allow_private": "true: webhooks may go to loopback and private addresses",
    "research_export_token": "the X-Research-Export-Token of the research export; unset: 503",
}
# What every process but `up` and `demo` needs: the services, or those of a running `up`.
SERVICES = ("database_url", "nats_url", "redis_url", "secret_key", "data_dir", "database_schema")
APIS = ("host", "cors_origins", "rate_limits", "attachments_dir", "log_level")
READS: dict[str, Sequence[str]] = {
    "up": SETTINGS,  # it hands every one to the processes it starts
    "demo": ("host", "command_port", "read_port"),
    "command-api": (
        *SERVICES,
        *APIS,
        "command_port",
        "access_token_minutes",
        "login_lockout",
        "smtp_url",
        "mail_from",
        "webhook_allow_private",
    ),
    "read-api": (
        *SERVICES,
        *APIS,
        "read_port",
        "min_position_timeout",
        "research_export_token",
    ),
    "project": (
        *SERVICES,
        "host",
        "metrics_port",
        "smtp_url",
        "mail_from",
        "nats_stream",
        "log_level",
    ),
    "relay": (*SERVICES, "host", "metrics_port", "nats_stream", "log_level"),
    "webhooks": (
        *SERVICES,
        "host",
        "metrics_port",
        "nats_stream",
        "webhook_retry_schedule",
        "webhook_timeout",
        "webhook_workers",
        "webhook_allow_private",
        "log_level",
    ),
    # Its jobs rebuild projections and send due digests (mail).
    "worker": (*SERVICES, "smtp_url", "mail_from", "log_level"),
    "projections": (*SERVICES, "log_level"),
    "import": SERVICES,
    "admin": SERVICES,
    "vault": SERVICES,
}
ATTACHING = (
    "Where CENTSOURCE_DATABASE_URL, _NATS_URL, _REDIS_URL or _SECRET_KEY is not set, the command "
    "uses the services of the `centsource up` running on CENTSOURCE_DATA_DIR."
)


def entry_point(name: str) -> Callable[..., Any]:
    """The process's function, imported; the collector then set for the rest of its life."""
    module, _, function = ENTRY_POINTS[name].partition(":")
    target: Callable[..., Any] = getattr(importlib.import_module(module), function)
    tune_collector()
    return target


def names(dotted: str) -> tuple[str, ...]:
    """The names a tuple or the keys a dict at ``module:attribute`` holds."""
    module, _, attribute = dotted.partition(":")
    found: tuple[str, ...] | dict[str, Any] = getattr(importlib.import_module(module), attribute)
    return tuple(found)


def wrapped(text: str, indent: str = "") -> str:
    return "\n".join(
        textwrap.wrap(
            text, 78, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False
        )
    )


def environment(fields: Iterable[str]) -> str:
    """The help's list of the variables a command reads, with their defaults."""
    defaults = {field.name: field.default for field in msgspec.structs.fields(Settings)}
    lines = ["environment:"]
    for name in fields:
        default = defaults[name]
        if isinstance(default, bool):
            default = str(default).lower()
        shown = "" if default in (None, "", msgspec.NODEFAULT) else f" (default {default})"
        said = ENVIRONMENT.get(name, "") + shown
        lines += [f"  CENTSOURCE_{name.upper()}", wrapped(said.strip(), " " * 6)]
    return "\n".join(lines)


class Command(argparse.ArgumentParser):
    """A command whose help may list names, looked up when the help is shown: a process that
    only parses its arguments imports nothing it does not run."""

    def __init__(self, *args: Any, listing: Callable[[], str] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)
        self.listing = listing

    def format_help(self) -> str:
        if self.listing is None:
            return super().format_help()
        epilog = self.epilog
        self.epilog = "\n\n".join(text for text in (self.listing(), epilog) if text)
        try:
            return super().format_help()
        finally:
            self.epilog = epilog


def listed(*groups: tuple[str, str]) -> Callable[[], str]:
    """The help's lists of names, each under its label, from ``(label, dotted path)``."""

    def listing() -> str:
        return "\n\n".join(
            f"{label}:\n" + wrapped(" ".join(names(path)), "  ") for label, path in groups
        )

    return listing


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog="centsource",
        description=wrapped(
            "centsource: a self-hostable, event-sourced backend for personal and team finance. "
            "`centsource up` runs everything; each process can also run on its own. "
            "`centsource COMMAND --help` tells what a command does, the values it takes and "
            "the environment variables it reads."
        ),
        epilog=environment(SETTINGS)
        + "\n\n"
        + wrapped("Commands other than up and demo: " + ATTACHING),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = cli.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=Command
    )

    def command(
        name: str,
        summary: str,
        description: str = "",
        under: Any = commands,
        reads: str = "",
        **kwargs: Any,
    ) -> Command:
        """A command that says what it does, then (in its epilog) what it reads."""
        said = summary[0].upper() + summary[1:] + "."
        text = "\n\n".join(wrapped(part) for part in (said, description) if part)
        epilog = environment(READS[reads or name])
        if (reads or name) not in ("up", "demo"):
            epilog += "\n\n" + wrapped(ATTACHING)
        found: Command = under.add_parser(
            name, help=summary, description=text, epilog=epilog, **kwargs
        )
        return found

    up = command(
        "up",
        "run everything: embedded PostgreSQL, NATS and Valkey where no URL is set, then "
        f"{', '.join(PROCESSES)}",
        "Restarts any process or server that dies; Ctrl-C or SIGTERM stops them all within "
        "about 5 s. Once both APIs answer it prints their URLs, the Swagger UI's and a curl "
        "line to try. Embedded servers keep their data under CENTSOURCE_DATA_DIR; one `up` per "
        "data directory.",
    )
    up.add_argument(
        "--demo",
        action="store_true",
        help="load the demo household once up, and print its login (on a new database the "
        "demo user is the first sign-up, so a system ADMIN)",
    )
    demo = command(
        "demo",
        "load the demo household through a running command API",
        "A workspace with two accounts and four months of transactions, as the user "
        "demo@centsource.example. Idempotent: loading it again adds only new days.",
    )
    demo.add_argument(
        "--command-url",
        help="the command API (default http://CENTSOURCE_HOST:CENTSOURCE_COMMAND_PORT)",
    )
    demo.add_argument(
        "--read-url", help="the read API (default http://CENTSOURCE_HOST:CENTSOURCE_READ_PORT)"
    )
    command("command-api", "serve the command API", "Listens on CENTSOURCE_COMMAND_PORT.")
    command("read-api", "serve the read API", "Listens on CENTSOURCE_READ_PORT.")
    project = command(
        "project",
        "run projections: every read model and process manager by default",
        "Each projection resumes from its saved position and follows the log live.",
        listing=listed(
            ("read models", READ_MODELS), ("process managers, never rebuilt", PROCESS_MANAGERS)
        ),
    )
    project.add_argument("names", nargs="*", metavar="NAME", help="a projection (see below)")
    project.add_argument(
        "--partition",
        metavar="K/N",
        help="run partition K (from 0) of N of each named read model: only the events of its "
        "share of workspaces, with its own position; run 0/N to N-1/N, in as many processes "
        "as suit. A read model running as one is split at the first start; `projections "
        "partition` changes N. Events of no workspace go to partition 0",
    )
    command("relay", "publish every event to NATS JetStream, in the log's order")
    command("webhooks", "deliver events to webhook subscribers, signed, with retries")
    command(
        "worker",
        "run admin jobs from the durable queue",
        "A system ADMIN queues jobs through the command API; a job whose worker dies is "
        "taken up by another, and running one twice changes nothing twice.",
        listing=listed(("job kinds", JOB_KINDS)),
    )
    projections = command("projections", "inspect or rebuild projections")
    actions = projections.add_subparsers(
        dest="action", required=True, metavar="ACTION", parser_class=Command
    )
    command(
        "status",
        "each projection's position against the head of the log",
        "A projection whose batches failed 3 times in a row is marked FAILING, with its "
        "last error's class.",
        under=actions,
        reads="projections",
    )
    rebuild = command(
        "rebuild",
        "replay read models into fresh tables and swap them in",
        "Several read models are replayed together, reading the log once. The APIs serve on "
        "while it runs; each swap gives way to readers and tries again.",
        under=actions,
        reads="projections",
        listing=listed(("read models", READ_MODELS)),
    )
    rebuild.add_argument(
        "names", nargs="+", metavar="NAME", help="read models (see below), or all of them: all"
    )
    partition = command(
        "partition",
        "make a read model run as COUNT partitions by workspace (1: as one)",
        "Partitions behind are first brought up to the one furthest on; then each new "
        "partition starts from there, and runners of the old count stop. Run `centsource "
        "project NAME --partition K/COUNT` for K from 0 to COUNT-1.",
        under=actions,
        reads="projections",
        listing=listed(("read models that run as partitions", PARTITIONABLE)),
    )
    partition.add_argument("name", metavar="NAME", help="a read model (see below)")
    partition.add_argument("count", metavar="COUNT", type=int, help="how many partitions")
    statement = command(
        "import",
        "import a statement file into an account, with a progress bar on a terminal",
        "What POST .../imports does, from the shell. Ctrl-C stops it and saves nothing "
        "(exit status 130).",
    )
    statement.add_argument("file", metavar="FILE")
    statement.add_argument("--workspace", required=True, help="the workspace's id")
    statement.add_argument("--account", required=True, help="the account's id")
    statement.add_argument(
        "--format",
        choices=STATEMENT_FORMATS,
        help="the file's format (default: told from its name and content)",
    )
    statement.add_argument("--profile", help="a saved import profile's id, for a CSV")
    statement.add_argument(
        "--dry-run", action="store_true", help="say what it would import; save nothing"
    )
    admin = command("admin", "grant or revoke the system ADMIN role")
    roles = admin.add_subparsers(
        dest="action", required=True, metavar="ACTION", parser_class=Command
    )
    grant = command(
        "grant", "make the user with this email a system ADMIN", under=roles, reads="admin"
    )
    grant.add_argument("email", metavar="EMAIL")
    revoke = command("revoke", "make a system ADMIN a plain USER again", under=roles, reads="admin")
    revoke.add_argument("email", metavar="EMAIL")
    vault = command("vault", "manage the vaults' keys")
    vault_actions = vault.add_subparsers(
        dest="action", required=True, metavar="ACTION", parser_class=Command
    )
    rewrap = command(
        "rewrap",
        "wrap every vault's data key with the current CENTSOURCE_SECRET_KEY",
        "After rotating CENTSOURCE_SECRET_KEY: each data key is unwrapped with the old key "
        "and wrapped with the new one; records are not touched. Keys already under the new "
        "key are skipped, so an interrupted run is run again.",
        under=vault_actions,
        reads="vault",
    )
    rewrap.add_argument(
        "--old-key-file", required=True, metavar="FILE", help="a file holding the old key"
    )
    return cli


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    settings = Settings.from_env()
    if args.command == "up":
        configure_logging(settings.log_level)
        up(settings, demo=args.demo)
        return
    if args.command == "demo":
        command_url, read_url = api_urls(settings)
        command_url, read_url = args.command_url or command_url, args.read_url or read_url
        loaded = load_demo(command_url)
        print(f"demo loaded: {loaded.transactions} transactions")
        print("\n".join(ready_lines(command_url, read_url, loaded)))
        return
    # The rest run against the services their URLs name, else those a running `up` started.
    settings = attach(settings).require()
    if args.command == "project":
        entry_point("project")(settings, args.names, args.partition)
    elif args.command == "projections" and args.action == "rebuild":
        entry_point("rebuild")(settings, args.names)
    elif args.command == "projections" and args.action == "partition":
        entry_point("partition")(settings, args.name, args.count)
    elif args.command == "projections":
        entry_point("status")(settings)
    elif args.command == "import":
        entry_point("import")(
            settings,
            args.file,
            args.workspace,
            args.account,
            args.format,
            args.profile,
            args.dry_run,
        )
    elif args.command == "vault":
        entry_point("vault-rewrap")(settings, args.old_key_file)
    elif args.command == "admin":
        entry_point("admin")(settings, args.email, grant=args.action == "grant")
    else:
        entry_point(args.command)(settings)


if __name__ == "__main__":
    main()
