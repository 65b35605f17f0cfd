"""The ``centsource`` command: run the stack or one of its processes, inspect projections."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from typing import Any

from infra.demo import load_demo
from infra.embedded import attach
from infra.logs import configure_logging
from infra.settings import Settings
from infra.supervisor import up

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
    "admin": "command_api.admin_cli:change_system_role",
    "import": "command_api.import_cli:import_file",
}


def entry_point(name: str) -> Callable[..., Any]:
    module, _, function = ENTRY_POINTS[name].partition(":")
    target: Callable[..., Any] = getattr(importlib.import_module(module), function)
    return target


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(prog="centsource", description=__doc__)
    commands = cli.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start everything; embedded services where no URL is set")
    up.add_argument("--demo", action="store_true", help="load the demo workspace once up")
    demo = commands.add_parser("demo", help="load the demo workspace through a running command API")
    demo.add_argument("--command-url", default="http://127.0.0.1:8000")
    demo.add_argument("--read-url", default="http://127.0.0.1:8001")
    commands.add_parser("command-api", help="serve the command API")
    commands.add_parser("read-api", help="serve the read API")
    project = commands.add_parser("project", help="run projections (all read models by default)")
    project.add_argument("names", nargs="*")
    commands.add_parser("relay", help="publish every event to NATS JetStream")
    commands.add_parser("webhooks", help="deliver events to webhook subscribers, signed")
    commands.add_parser("worker", help="run admin jobs from the durable queue")
    projections = commands.add_parser("projections", help="inspect or rebuild projections")
    actions = projections.add_subparsers(dest="action", required=True)
    actions.add_parser("status", help="each projection's position against the head of the log")
    rebuild = actions.add_parser("rebuild", help="replay a projection into fresh tables and swap")
    rebuild.add_argument("name")
    statement = commands.add_parser(
        "import", help="import a statement file into an account, with a progress bar"
    )
    statement.add_argument("file")
    statement.add_argument("--workspace", required=True, help="the workspace's id")
    statement.add_argument("--account", required=True, help="the account's id")
    statement.add_argument("--format", help="csv, json, xlsx, ofx, qfx, qif or camt053")
    statement.add_argument("--profile", help="a saved import profile's id, for a CSV")
    statement.add_argument("--dry-run", action="store_true", help="report, save nothing")
    admin = commands.add_parser("admin", help="system roles")
    roles = admin.add_subparsers(dest="action", required=True)
    grant = roles.add_parser("grant", help="make the user with this email a system ADMIN")
    grant.add_argument("email")
    revoke = roles.add_parser("revoke", help="make a system ADMIN a plain USER again")
    revoke.add_argument("email")
    return cli


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    settings = Settings.from_env()
    if args.command == "up":
        configure_logging(settings.log_level)
        up(settings, demo=args.demo)
        return
    if args.command == "demo":
        load_demo(args.command_url, args.read_url)
        return
    # The rest run against the services their URLs name, else those a running `up` started.
    settings = attach(settings).require()
    if args.command == "project":
        entry_point("project")(settings, args.names)
    elif args.command == "projections" and args.action == "rebuild":
        entry_point("rebuild")(settings, args.name)
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
    elif args.command == "admin":
        entry_point("admin")(settings, args.email, grant=args.action == "grant")
    else:
        entry_point(args.command)(settings)


if __name__ == "__main__":
    main()
