"""Configuration, read once from CENTSOURCE_* environment variables."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

import msgspec


class Settings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    database_url: str | None = None
    database_schema: str = "centsource"
    nats_url: str | None = None
    nats_stream: str = "CENTSOURCE_EVENTS"
    redis_url: str | None = None
    secret_key: str | None = None
    data_dir: str = ".centsource"
    host: str = "127.0.0.1"
    command_port: int = 8000
    read_port: int = 8001
    # GET /metrics of the processes that serve no HTTP: the projector here, the relay on the
    # next port, the webhook dispatcher on the one after; 0: none.
    metrics_port: int = 8002
    access_token_minutes: int = 15
    min_position_timeout: float = 5.0
    log_level: str = "info"
    cors_origins: str = ""  # comma-separated origins browsers may call the APIs from
    smtp_url: str | None = None  # smtp:// or smtps://; without it mail goes to the dev mailbox
    mail_from: str = "centsource <no-reply@centsource.invalid>"
    # Requests per window in seconds, per tier (see infra/rate_limits.py); "off" disables.
    rate_limits: str = "strict=5/900,expensive=10/3600,moderate=100/900,lenient=300/900"
    login_lockout: str = "10/900"  # failed log-ins per email before it is locked for the window
    attachments_dir: str | None = None  # receipts go here; without it, into PostgreSQL
    # Seconds to wait after each failed webhook attempt (Standard Webhooks' schedule); after
    # the last, the delivery has failed.
    webhook_retry_schedule: str = "5,300,1800,7200,18000,36000,36000"
    webhook_timeout: float = 10.0  # seconds a subscriber has to answer
    webhook_workers: int = 4  # deliveries in flight at once, per dispatcher
    # Webhooks may go to loopback, private, link-local and other non-public addresses (a LAN's
    # or a test's receiver). Off, an ADMIN cannot make the dispatcher probe its own network.
    webhook_allow_private: bool = False
    # The token GET /api/admin/research/export asks for (X-Research-Export-Token); unset: 503.
    research_export_token: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        fields = {
            name: environ[f"CENTSOURCE_{name.upper()}"]
            for name in cls.__struct_fields__
            if f"CENTSOURCE_{name.upper()}" in environ
        }
        settings = msgspec.convert(fields, cls, strict=False)
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,40}", settings.database_schema):
            raise ValueError("CENTSOURCE_DATABASE_SCHEMA must be a lower-case SQL identifier")
        return settings

    def as_env(self) -> dict[str, str]:
        """The environment a child process needs to read these same settings."""
        return {
            f"CENTSOURCE_{name.upper()}": str(value)
            for name, value in msgspec.structs.asdict(self).items()
            if value is not None
        }

    @property
    def cors_origin_list(self) -> list[str]:
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).resolve()

    def require(self) -> Settings:
        """Processes other than the supervisor need every URL and the secret."""
        missing = [
            f"CENTSOURCE_{name.upper()}"
            for name in ("database_url", "nats_url", "redis_url", "secret_key")
            if getattr(self, name) is None
        ]
        if missing:
            raise SystemExit(f"set {', '.join(missing)} (or run `centsource up`)")
        return self

    @property
    def database(self) -> str:
        assert self.database_url is not None
        return self.database_url

    @property
    def nats(self) -> str:
        assert self.nats_url is not None
        return self.nats_url

    @property
    def redis(self) -> str:
        assert self.redis_url is not None
        return self.redis_url

    @property
    def secret(self) -> str:
        assert self.secret_key is not None
        return self.secret_key
