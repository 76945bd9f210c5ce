"""Prometheus text exposition of what the bot is doing; counts come from the job store."""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass, field

DURATION_BUCKETS = (5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0)


@dataclass
class DurationHistogram:
    """Seconds a job took in the engine, since this process started."""

    buckets: tuple[float, ...] = DURATION_BUCKETS
    counts: list[int] = field(default_factory=lambda: [0] * (len(DURATION_BUCKETS) + 1))
    total: float = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect.bisect_left(self.buckets, seconds)] += 1
        self.total += seconds

    @property
    def count(self) -> int:
        return sum(self.counts)


def prometheus_text(
    jobs_by_state: Mapping[str, int],
    queue_length: int,
    running: int,
    durations: DurationHistogram,
    gateway_connected: bool,
) -> str:
    lines = [
        "# HELP atelier_jobs Jobs in the database by state.",
        "# TYPE atelier_jobs gauge",
        *(f'atelier_jobs{{state="{state}"}} {n}' for state, n in sorted(jobs_by_state.items())),
        "# HELP atelier_queue_length Jobs waiting in the engine pool.",
        "# TYPE atelier_queue_length gauge",
        f"atelier_queue_length {queue_length}",
        "# HELP atelier_running_jobs Jobs running on an engine worker.",
        "# TYPE atelier_running_jobs gauge",
        f"atelier_running_jobs {running}",
        "# HELP atelier_gateway_connected 1 while the Discord gateway connection is up.",
        "# TYPE atelier_gateway_connected gauge",
        f"atelier_gateway_connected {int(gateway_connected)}",
        "# HELP atelier_job_duration_seconds Engine time of finished jobs.",
        "# TYPE atelier_job_duration_seconds histogram",
    ]
    cumulative = 0
    for bound, n in zip(durations.buckets, durations.counts, strict=False):
        cumulative += n
        lines.append(f'atelier_job_duration_seconds_bucket{{le="{bound:g}"}} {cumulative}')
    lines += [
        f'atelier_job_duration_seconds_bucket{{le="+Inf"}} {durations.count}',
        f"atelier_job_duration_seconds_sum {durations.total:.3f}",
        f"atelier_job_duration_seconds_count {durations.count}",
    ]
    return "\n".join(lines) + "\n"
