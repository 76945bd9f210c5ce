"""What the engine pool costs on top of the engine: per-job overhead and event latency.

Runs the same job in this process (`Stylizer.stylize`) and through an `EnginePool` with one
worker on the same device, alternating so load from elsewhere hits both alike, and prints both
times, their ratio, and how long events take from the worker to the event loop.

    python bench/pool.py                      # CPU, iterations calibrated to a ~10 s job
    python -m bench.pool --device cuda:0 --size 512
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

# `python bench/pool.py` puts bench/ first on sys.path, where bench/engine.py shadows the package.
ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)

from engine.images import decode_image, encode_png, resize_longest  # noqa: E402
from engine.params import StyleParams  # noqa: E402
from engine.pool import Done, EnginePool, EngineService  # noqa: E402
from engine.pool.devices import available_cpus, threads_per_worker  # noqa: E402

EXAMPLES = ROOT / "engine" / "examples"
CALIBRATION_ITERATIONS = 10


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--size", type=int, default=96)
    parser.add_argument("--seconds", type=float, default=10.0, help="target length of one job")
    parser.add_argument("--iterations", type=int, help="fixed iterations instead of --seconds")
    parser.add_argument("--repeats", type=int, default=5)
    return parser.parse_args()


def example_png(name: str, size: int) -> bytes:
    return encode_png(resize_longest(decode_image(EXAMPLES / name), size))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def through_pool(pool: EngineService, content: bytes, style: bytes, params: StyleParams):
    began = time.perf_counter()
    job = await pool.submit(content, style, params)
    outcome = await job.result()
    if not isinstance(outcome, Done):
        raise SystemExit(f"the pool job failed: {outcome.reason}")
    return time.perf_counter() - began, outcome.seconds, job.event_delays


async def main() -> None:
    args = arguments()
    content_png = example_png("astronaut.png", args.size)
    style_png = example_png("hubble_deep_field.jpg", args.size)
    base = StyleParams(size=args.size, min_scale=args.size, device=args.device)

    import torch  # this process only: the baseline runs here

    from engine.stylizer import Stylizer

    torch.set_num_threads(threads_per_worker(1, available_cpus()))  # as the pool's one worker
    stylizer = Stylizer(device=args.device)
    content, style = decode_image(content_png), decode_image(style_png)

    def in_process(params: StyleParams) -> float:
        began = time.perf_counter()
        stylizer.stylize(content, style, params)
        return time.perf_counter() - began

    in_process(base.with_changes(iterations=2))  # warm-up
    iterations = args.iterations
    if iterations is None:
        calibration = in_process(base.with_changes(iterations=CALIBRATION_ITERATIONS))
        iterations = max(1, round(args.seconds / calibration * CALIBRATION_ITERATIONS))
    params = base.with_changes(iterations=iterations)
    print(f"device {stylizer.device_name}, {args.size} px, {iterations} iterations per job")

    began = time.perf_counter()
    async with EnginePool(devices=[args.device], workers=1, preview_interval=0) as pool:
        print(f"pool started in {time.perf_counter() - began:.1f} s")
        await through_pool(pool, content_png, style_png, base.with_changes(iterations=2))
        direct, pooled, outside, delays = [], [], [], []
        for _ in range(args.repeats):
            direct.append(in_process(params))
            seconds, in_worker, job_delays = await through_pool(
                pool, content_png, style_png, params
            )
            pooled.append(seconds)
            outside.append(seconds - in_worker)
            delays.extend(job_delays)

    print(f"in-process stylize   runs {_list(direct)}")
    print(f"pool submit -> Done  runs {_list(pooled)}")
    # The best run is the one least disturbed by other work on the machine; medians for balance.
    for name, pick in (("best", min), ("median", statistics.median)):
        direct_s, pooled_s = pick(direct), pick(pooled)
        print(
            f"{name:>6}: in-process {direct_s:.3f} s, pool {pooled_s:.3f} s, "
            f"ratio {pooled_s / direct_s:.4f} ({(pooled_s / direct_s - 1) * 100:+.2f} %, "
            f"target < 5 %)"
        )
    print(
        f"time outside the worker's run (submit, transfer, events, result): "
        f"median {statistics.median(outside) * 1000:.1f} ms per job"
    )
    ms = [delay * 1000 for delay in delays]
    print(
        f"event latency worker -> event loop over {len(ms)} events: "
        f"median {statistics.median(ms):.2f} ms, p95 {percentile(ms, 0.95):.2f} ms, "
        f"max {max(ms):.2f} ms"
    )


def _list(values: list[float]) -> str:
    return " ".join(f"{value:.3f}" for value in values)


if __name__ == "__main__":
    asyncio.run(main())
