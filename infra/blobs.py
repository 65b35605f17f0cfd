"""Attachment contents, by their SHA-256: in PostgreSQL (the default), or in a directory
named by ``CENTSOURCE_ATTACHMENTS_DIR``. Contents are written before the event that names
them, so a crash between leaves at worst an unnamed file, never a name without its file."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Protocol

import psycopg
from anyio import to_thread
from psycopg_pool import AsyncConnectionPool

from infra.settings import Settings

Pool = AsyncConnectionPool[psycopg.AsyncConnection[dict[str, Any]]]


class Blobs(Protocol):
    async def create_table(self) -> None: ...

    async def put(self, content: bytes) -> str: ...

    async def get(self, digest: str) -> bytes | None: ...


def blobs_for(settings: Settings, pool: Pool) -> Blobs:
    if settings.attachments_dir:
        return DirectoryBlobs(Path(settings.attachments_dir))
    return PostgresBlobs(pool)


class PostgresBlobs:
    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    async def create_table(self) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS attachment_contents "
                "(sha256 text PRIMARY KEY, content bytea NOT NULL)"
            )

    async def put(self, content: bytes) -> str:
        digest = hashlib.sha256(content).hexdigest()
        async with self.pool.connection() as conn:
            await conn.execute(
                "INSERT INTO attachment_contents (sha256, content) VALUES (%s, %s) "
                "ON CONFLICT (sha256) DO NOTHING",
                (digest, content),
            )
        return digest

    async def get(self, digest: str) -> bytes | None:
        async with self.pool.connection() as conn:
            row = await (
                await conn.execute(
                    "SELECT content FROM attachment_contents WHERE sha256 = %s", (digest,)
                )
            ).fetchone()
        return None if row is None else bytes(row["content"])


class DirectoryBlobs:
    def __init__(self, root: Path) -> None:
        self.root = root

    async def create_table(self) -> None:
        await to_thread.run_sync(lambda: self.root.mkdir(parents=True, exist_ok=True))

    async def put(self, content: bytes) -> str:
        digest = hashlib.sha256(content).hexdigest()
        await to_thread.run_sync(self._write, digest, content)
        return digest

    async def get(self, digest: str) -> bytes | None:
        path = self._path(digest)
        return await to_thread.run_sync(lambda: path.read_bytes() if path.exists() else None)

    def _path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest

    def _write(self, digest: str, content: bytes) -> None:
        """Written to a temporary name, synced, then renamed: a file is whole or absent."""
        path = self._path(digest)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.part")
        with partial.open("wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        partial.replace(path)
