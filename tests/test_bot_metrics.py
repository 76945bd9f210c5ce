"""The counters other components feed through `bot.ops.metrics.Metrics`, read back as Prometheus."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from bot.ops.metrics import Metrics, Snapshot


def scrape(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = metrics.exposition().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_failures_count_by_kind_and_retries_and_engine_time_by_device() -> None:
    metrics = Metrics()
    metrics.job_failed("worker_died")
    metrics.job_failed("worker_died")
    metrics.job_failed("timeout")
    metrics.job_cancelled()
    metrics.delivery_retried()
    metrics.job_done("cuda:0", 12.5)
    metrics.job_done("cuda:1", 30.0)
    metrics.observe(Snapshot(False, True, queue_length=3, running=2, jobs_by_state={"queued": 3}))

    samples = scrape(metrics)
    ended = "atelier_jobs_ended_total"
    assert samples[(ended, (("failure", "worker_died"), ("outcome", "failed")))] == 2
    assert samples[(ended, (("failure", "timeout"), ("outcome", "failed")))] == 1
    assert samples[(ended, (("failure", ""), ("outcome", "cancelled")))] == 1
    assert samples[(ended, (("failure", ""), ("outcome", "done")))] == 2
    assert samples[("atelier_delivery_retries_total", ())] == 1
    assert samples[("atelier_engine_seconds_total", (("device", "cuda:1"),))] == 30.0
    assert samples[("atelier_job_duration_seconds_bucket", (("le", "15.0"),))] == 1
    assert samples[("atelier_queue_length", ())] == 3
    assert samples[("atelier_jobs", (("state", "running"),))] == 0
    assert samples[("atelier_gateway_connected", ())] == 0


def test_two_bots_in_one_process_keep_their_own_counts() -> None:
    first, second = Metrics(), Metrics()
    first.request_refused("cooldown")
    assert scrape(first)[("atelier_requests_refused_total", (("reason", "cooldown"),))] == 1
    assert ("atelier_requests_refused_total", (("reason", "cooldown"),)) not in scrape(second)
