"""What Ray costs on top of local worker processes: per-job overhead and event latency.

Runs the same tiny jobs, one at a time, through an `EnginePool` with CPU workers and a
`RayEngine` on a one-node Ray cluster started here (one fake GPU, the actor paints on the CPU),
alternating so load from elsewhere hits both alike. Overhead is a job's time from submit to Done minus the
time its worker spent painting; it is then set against a 20 s job (target: under 5 %). Event
latency is the time from a worker sending an event to the bot's event loop having it (target:
p95 under 50 ms).

    python -m bench.ray                      # needs the extra: pip install -e '.[ray]'
    python -m bench.ray --jobs 10 --iterations 40
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

from bench.pool import example_png, percentile, through_pool
from engine.params import StyleParams
from engine.pool import EnginePool
from engine.pool.devices import available_cpus

REFERENCE_JOB = 20.0  # seconds: a typical GPU job, the one the overhead target is set against
# One fake GPU and one CPU: the actor's engine runs one thread (engine.pool.ray_nodes), like each
# of the pool's workers (one per CPU, see main). Equal threads, so both paint alike; one each,
# because on a busy machine more threads per job only fight (docs/benchmarks.md, "Ray").
NODE = {"num_cpus": 1, "num_gpus": 1, "object_store_memory": 100 * 1024 * 1024}


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=6, help="jobs per backend")
    return parser.parse_args()


async def main() -> None:
    args = arguments()
    # A cluster on 127.0.0.1 only, as in the tests; never one a stale RAY_ADDRESS points at.
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    os.environ.pop("RAY_ADDRESS", None)
    from ray.cluster_utils import Cluster

    from engine.pool.ray_engine import RayEngine

    content = example_png("astronaut.png", args.size)
    style = example_png("hubble_deep_field.jpg", args.size)
    params = StyleParams(size=args.size, min_scale=args.size, iterations=args.iterations)
    print(
        f"{args.jobs} jobs per backend, {args.size} px, {args.iterations} iterations, "
        "CPU, one engine thread per job"
    )

    began = time.perf_counter()
    cluster = Cluster(
        initialize_head=True,
        head_node_args={**NODE, "node_ip_address": "127.0.0.1", "include_dashboard": False},
    )
    print(f"Ray cluster started in {time.perf_counter() - began:.1f} s")
    options = {"preview_interval": 0}
    try:
        began = time.perf_counter()
        async with (
            EnginePool(devices=["cpu"], workers=available_cpus(), **options) as pool,
            RayEngine(cluster.address, device="cpu", **options) as ray_engine,
        ):
            print(f"both engines ready in {time.perf_counter() - began:.1f} s")
            engines = {"EnginePool": pool, "RayEngine": ray_engine}
            results: dict[str, list] = {name: [] for name in engines}
            for engine in engines.values():  # warm-up: first-job costs are not per-job costs
                await through_pool(engine, content, style, params.with_changes(iterations=2))
            for _ in range(args.jobs):
                for name, engine in engines.items():
                    total, in_worker, delays = await through_pool(engine, content, style, params)
                    results[name].append((total, total - in_worker, delays))
    finally:
        cluster.shutdown()

    for name, runs in results.items():
        totals = [total for total, _, _ in runs]
        overheads = [overhead * 1000 for _, overhead, _ in runs]
        delays = [delay * 1000 for _, _, job_delays in runs for delay in job_delays]
        overhead = statistics.median(overheads)
        print(
            f"{name:>10}: job median {statistics.median(totals):.3f} s; overhead per job "
            f"median {overhead:.1f} ms, max {max(overheads):.1f} ms "
            f"= {overhead / 10 / REFERENCE_JOB:.2f} % of a {REFERENCE_JOB:g} s job "
            f"(target < 5 %); event latency over {len(delays)} events: median "
            f"{statistics.median(delays):.2f} ms, p95 {percentile(delays, 0.95):.2f} ms, "
            f"max {max(delays):.2f} ms (target p95 < 50 ms)"
        )
    ray_overhead = statistics.median(o for _, o, _ in results["RayEngine"])
    pool_overhead = statistics.median(o for _, o, _ in results["EnginePool"])
    print(f"Ray adds {(ray_overhead - pool_overhead) * 1000:+.1f} ms per job over local workers")


if __name__ == "__main__":
    asyncio.run(main())
