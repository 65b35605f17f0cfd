"""Prometheus metrics of one process, the middleware that counts requests, and live figures.

Each process (each app a test builds, too) has its own registry, made by its factory: the
APIs' ``/metrics`` answer from theirs; the projector, the relay and the webhook dispatcher
serve theirs on a port of their own (``serve``). Requests are labelled by route template
(``/api/workspaces/{workspace_id}/transactions``), never by raw path: ids in a label would
make a series per workspace.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
    start_http_server,
)

log = structlog.get_logger("metrics")

UNMATCHED = "unmatched"  # the route of a request no route matched (a 404, a 405)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
RECENT_ERRORS = 20  # kept of each class, 5xx and 4xx
TIMING_SAMPLES = 1000  # the latest durations kept per route for p50 and p95
# The metrics ports of the processes that serve no HTTP: CENTSOURCE_METRICS_PORT plus this.
PORT_OFFSETS = {"project": 0, "relay": 1, "webhooks": 2}


class Metrics:
    """A registry of one process, with its CPU, memory and open files."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)

    def exposition(self) -> tuple[bytes, str]:
        """The Prometheus text format, and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest sample with at least ``fraction`` of the
    samples at or below it, i.e. sorted(samples)[ceil(fraction * n) - 1]; 0 for none."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[max(math.ceil(fraction * len(ordered)) - 1, 0)]


@dataclass
class RouteTimings:
    count: int = 0
    errors: int = 0  # answers of 5xx
    max_seconds: float = 0.0
    latest: deque[float] = field(default_factory=lambda: deque(maxlen=TIMING_SAMPLES))


class ApiMetrics(Metrics):
    """What an API counts: requests, rate-limited ones, the cache, imported rows; and the
    live figures a system ADMIN reads at /api/metrics."""

    def __init__(self) -> None:
        super().__init__()
        self.started = time.monotonic()
        self.started_at = datetime.now(UTC)
        self.requests = Counter(
            "centsource_http_requests",
            "HTTP requests answered, by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "centsource_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template",
            ["method", "route"],
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "centsource_rate_limited_requests",
            "Requests refused with 429, by rate-limit tier (lockout: a locked email)",
            ["tier"],
            registry=self.registry,
        )
        self.cache = Counter(
            "centsource_cache_requests",
            "Redis cache look-ups, by cache and result (hit or miss)",
            ["cache", "result"],
            registry=self.registry,
        )
        self.import_rows = Counter(
            "centsource_import_rows",
            "Statement lines imported, skipped as duplicates or rejected (dry runs not counted)",
            ["outcome"],
            registry=self.registry,
        )
        # Handlers that run in worker threads count here too (imports).
        self._lock = threading.Lock()
        self.timings: dict[tuple[str, str], RouteTimings] = {}
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._cache_series: dict[tuple[str, str], Any] = {}
        self.server_errors: deque[dict[str, Any]] = deque(maxlen=RECENT_ERRORS)
        self.client_errors: deque[dict[str, Any]] = deque(maxlen=RECENT_ERRORS)
        self.cache_results = {"hit": 0, "miss": 0}

    @property
    def uptime_seconds(self) -> float:
        return round(time.monotonic() - self.started, 3)

    def observe_request(
        self, method: str, route: str, status: int, seconds: float, correlation_id: str | None
    ) -> None:
        method = method if method in METHODS else "OTHER"  # a client may send any method
        series = self._series.get((method, route, status))
        if series is None:  # labels() is a locked look-up: asked once per series
            series = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route),
            )
            self._series[(method, route, status)] = series
        series[0].inc()
        series[1].observe(seconds)
        with self._lock:
            timings = self.timings.setdefault((method, route), RouteTimings())
            timings.count += 1
            timings.errors += status >= 500
            timings.max_seconds = max(timings.max_seconds, seconds)
            timings.latest.append(seconds)
            if status >= 400:
                # What went wrong where, and the id to find its log line: never a body or a
                # header (they may hold credentials or someone's money).
                (self.server_errors if status >= 500 else self.client_errors).append(
                    {
                        "at": datetime.now(UTC).isoformat(),
                        "method": method,
                        "route": route,
                        "status": status,
                        "correlation_id": correlation_id,
                    }
                )

    def count_rate_limited(self, tier: str) -> None:
        self.rate_limited.labels(tier).inc()

    def count_cache(self, cache: str, hit: bool) -> None:
        result = "hit" if hit else "miss"
        series = self._cache_series.get((cache, result))
        if series is None:
            series = self._cache_series[(cache, result)] = self.cache.labels(cache, result)
        series.inc()
        with self._lock:
            self.cache_results[result] += 1

    def count_import_rows(self, imported: int, skipped: int, rejected: int, dry_run: bool) -> None:
        if dry_run:
            return
        for outcome, rows in (("imported", imported), ("skipped", skipped), ("rejected", rejected)):
            self.import_rows.labels(outcome).inc(rows)

    def live(self) -> dict[str, Any]:
        """Figures since the process started: requests, 5xx errors and their rate, each
        route's p50, p95 (of its latest TIMING_SAMPLES) and max in ms, the cache's hit
        ratio, and the latest 4xx and 5xx answers, newest first."""
        with self._lock:
            requests = sum(t.count for t in self.timings.values())
            errors = sum(t.errors for t in self.timings.values())
            routes = [
                {
                    "method": method,
                    "route": route,
                    "requests": t.count,
                    "errors": t.errors,
                    "p50_ms": round(percentile(t.latest, 0.5) * 1000, 2),
                    "p95_ms": round(percentile(t.latest, 0.95) * 1000, 2),
                    "max_ms": round(t.max_seconds * 1000, 2),
                }
                for (method, route), t in sorted(self.timings.items(), key=lambda i: i[0][::-1])
            ]
            hits, misses = self.cache_results["hit"], self.cache_results["miss"]
            server_errors = list(reversed(self.server_errors))
            client_errors = list(reversed(self.client_errors))
        return {
            "uptime_seconds": self.uptime_seconds,
            "requests": requests,
            "errors": errors,
            "error_rate": round(errors / requests, 4) if requests else 0.0,
            "routes": routes,
            "cache": {
                "hits": hits,
                "misses": misses,
                "hit_ratio": round(hits / (hits + misses), 4) if hits + misses else None,
            },
            "recent_server_errors": server_errors,
            "recent_client_errors": client_errors,
        }


class ProjectionMetrics(Metrics):
    """What a projector (or the relay) reports of each projection it runs."""

    def __init__(self) -> None:
        super().__init__()
        self.head = Gauge(
            "centsource_event_store_head",
            "The last notification id (position) of the event store, as last seen",
            registry=self.registry,
        )
        self.position = Gauge(
            "centsource_projection_position",
            "The position a projection has committed",
            ["projection"],
            registry=self.registry,
        )
        self.lag_events = Gauge(
            "centsource_projection_lag_events",
            "Events between a projection's position and the head, at its last batch",
            ["projection"],
            registry=self.registry,
        )
        self.lag_seconds = Gauge(
            "centsource_projection_lag_seconds",
            "0 once a batch reaches the head; else the age of its last event at the commit",
            ["projection"],
            registry=self.registry,
        )
        self.failures = Gauge(
            "centsource_projection_failures",
            "Batches of a projection failed in a row (FAILING from 3)",
            ["projection"],
            registry=self.registry,
        )
        self.failed_batches = Counter(
            "centsource_projection_failed_batches",
            "Batches of a projection that failed and were rolled back",
            ["projection"],
            registry=self.registry,
        )
        self.events = Counter(
            "centsource_projection_events",
            "Events of the log a projection has read",
            ["projection"],
            registry=self.registry,
        )
        self._lock = threading.Lock()
        self._head = 0

    def batch_committed(
        self, name: str, position: int, events: int, head: int, lag_seconds: float
    ) -> None:
        with self._lock:  # runners of several event loops may share it (tests)
            self._head = max(head, self._head)
            self.head.set(self._head)
        self.position.labels(name).set(position)
        self.lag_events.labels(name).set(max(head - position, 0))
        self.lag_seconds.labels(name).set(max(lag_seconds, 0.0))
        self.failures.labels(name).set(0)
        self.events.labels(name).inc(events)

    def batch_failed(self, name: str, failures: int) -> None:
        self.failures.labels(name).set(failures)
        self.failed_batches.labels(name).inc()


class WebhookMetrics(Metrics):
    """What the webhook dispatcher reports: attempts by outcome, and what waits."""

    def __init__(self) -> None:
        super().__init__()
        self.deliveries = Counter(
            "centsource_webhook_deliveries",
            "Delivery attempts, by outcome: delivered, retrying, failed (retries spent, 410, "
            "refused destination) or cancelled (subscription gone)",
            ["outcome"],
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "centsource_webhook_queue_depth",
            "Deliveries PENDING (due now or waiting for a retry)",
            registry=self.registry,
        )

    def count_delivery(self, outcome: str) -> None:
        self.deliveries.labels(outcome).inc()


def port_of(base: int, process: str) -> int:
    """The metrics port of ``project``, ``relay`` or ``webhooks``: 0 (none) when base is 0."""
    return base + PORT_OFFSETS[process] if base > 0 else 0


def serve(metrics: Metrics, host: str, port: int) -> None:
    """Serves ``GET /metrics`` from a thread of this process; port 0: not at all. A port
    taken (two projectors on one host) is a warning, not the end of the process."""
    if port <= 0:
        return
    try:
        start_http_server(port, addr=host, registry=metrics.registry)
    except OSError as error:
        log.warning("metrics not served", port=port, error=str(error))
        return
    log.info("metrics served", url=f"http://{host}:{port}/metrics")
