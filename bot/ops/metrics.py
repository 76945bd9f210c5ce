"""What the bot counts, exposed as Prometheus metrics with `prometheus_client`.

Components that count something receive the `Metrics` object and call one of its methods
(`job_done`, `job_failed`, `job_cancelled`, `request_refused`, `delivery_retried`); none of them
touches a prometheus_client object. Each `Metrics` owns its registry (with the process, platform
and GC collectors that prometheus_client's default registry gives every Python service), so two
bots in one process, as in the tests, never share or double-register counts.

Gauges that describe a moment (queue length, gateway, engine workers) are set from a `Snapshot`
taken when Prometheus scrapes, so they are never stale; jobs by state come from the job store's
counts, read in the background (`JobCounts`), so no scrape waits on the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from engine.pool.events import FailureKind
from engine.pool.health import EngineHealth

DURATION_BUCKETS = (5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0)
JOB_STATES = ("queued", "running", "done", "failed", "cancelled")
CONTENT_TYPE = CONTENT_TYPE_LATEST


@dataclass(frozen=True)
class Snapshot:
    """The bot's state at one moment: what /healthz answers and the gauges /metrics shows."""

    gateway_connected: bool
    engine_alive: bool
    queue_length: int = 0
    running: int = 0
    jobs_by_state: Mapping[str, int] = field(default_factory=dict)
    engine: EngineHealth | None = None  # its workers, and why one is not ready

    @property
    def healthy(self) -> bool:
        return self.gateway_connected and self.engine_alive

    def health_line(self) -> str:
        line = (
            f"gateway {'connected' if self.gateway_connected else 'disconnected'}, "
            f"engine {'alive' if self.engine_alive else 'down'}"
        )
        return line if self.engine is None else f"{line}: {self.engine.line()}"


# Gauges set from each `Snapshot`: key -> (metric name, help).
MOMENT_GAUGES = {
    "queue_length": ("atelier_queue_length", "Jobs waiting in the engine pool."),
    "running": ("atelier_running_jobs", "Jobs running on an engine worker."),
    "gateway": ("atelier_gateway_connected", "1 while the Discord gateway connection is up."),
    "engine_alive": (
        "atelier_engine_alive",
        "1 while the engine can take jobs (what /healthz reports as engine alive).",
    ),
    "workers_ready": (
        "atelier_engine_workers_ready",
        "Engine workers that loaded the model and take jobs.",
    ),
    "workers_starting": (
        "atelier_engine_workers_starting",
        "Engine workers loading the model, or waiting to be started again.",
    ),
    "failed_starts": (
        "atelier_engine_failed_starts",
        "The longest run of failed starts in a row of any engine worker (0 when all start).",
    ),
}


def moment_values(snapshot: Snapshot) -> dict[str, float]:
    """What each moment gauge shows for `snapshot` (the workers' only when the engine says)."""
    values = {
        "queue_length": snapshot.queue_length,
        "running": snapshot.running,
        "gateway": int(snapshot.gateway_connected),
        "engine_alive": int(snapshot.engine_alive),
    }
    if snapshot.engine is not None:
        values["workers_ready"] = snapshot.engine.ready
        values["workers_starting"] = snapshot.engine.starting
        values["failed_starts"] = snapshot.engine.failed_starts
    return values


class Metrics:
    """The bot's counters and gauges in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        registry = self.registry
        self._ended = Counter(
            "atelier_jobs_ended",
            "Jobs that ended, by outcome (done, failed, cancelled) and failure kind.",
            ["outcome", "failure"],
            registry=registry,
        )
        self._refused = Counter(
            "atelier_requests_refused",
            "Requests refused before anything was queued, by reason.",
            ["reason"],
            registry=registry,
        )
        self._delivery_retries = Counter(
            "atelier_delivery_retries",
            "Attempts to post a job's final message again after Discord or the network failed.",
            registry=registry,
        )
        self._engine_seconds = Counter(
            "atelier_engine_seconds",
            "Seconds engine workers spent on finished jobs, by device.",
            ["device"],
            registry=registry,
        )
        self._durations = Histogram(
            "atelier_job_duration_seconds",
            "Engine time of finished jobs.",
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        self._jobs = Gauge(
            "atelier_jobs", "Jobs in the database by state.", ["state"], registry=registry
        )
        self._moment = {
            key: Gauge(name, description, registry=registry)
            for key, (name, description) in MOMENT_GAUGES.items()
        }
        # Zero rows for the common series, so dashboards and rate() see them before the first job.
        for outcome in ("done", "cancelled"):
            self._ended.labels(outcome, "")

    def job_done(self, device: str, seconds: float) -> None:
        self._ended.labels("done", "").inc()
        self._engine_seconds.labels(device).inc(seconds)
        self._durations.observe(seconds)

    def job_failed(self, kind: FailureKind | str) -> None:
        """`kind` is the engine's FailureKind, or the bot's own ("crashed", "no_engine", "disk_full")."""
        self._ended.labels("failed", kind).inc()

    def job_cancelled(self) -> None:
        self._ended.labels("cancelled", "").inc()

    def request_refused(self, reason: str) -> None:
        self._refused.labels(reason).inc()

    def delivery_retried(self) -> None:
        self._delivery_retries.inc()

    def observe(self, snapshot: Snapshot) -> None:
        for state in JOB_STATES:
            self._jobs.labels(state).set(snapshot.jobs_by_state.get(state, 0))
        for key, value in moment_values(snapshot).items():
            self._moment[key].set(value)

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)
