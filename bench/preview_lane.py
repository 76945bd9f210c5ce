"""Does the bot's preview lane slow a running job? And how fast is a preview while one runs?

Paints one engine job alone, then the same job while the preview lane (one thread, one
onnxruntime intra-op thread, as in the bot) paints a 512 px preview every `--every` seconds, and
prints both times, their ratio, and the previews' seconds. Alternating runs, median of each.

    python -m bench.preview_lane
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

from bot.lifecycle.preview_lane import PreviewLane
from engine.images import decode_image, encode_png, resize_longest
from engine.params import StyleParams
from engine.stylizer import Stylizer

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "engine" / "examples" / "astronaut.png"
STYLE = ROOT / "engine" / "examples" / "hubble_deep_field.jpg"
PREVIEW = StyleParams(size=512)


async def job_seconds(stylizer: Stylizer, params: StyleParams, lane: PreviewLane | None,
                      every: float) -> tuple[float, list[float]]:  # fmt: skip
    content, style = decode_image(CONTENT), decode_image(STYLE)
    photo, painting = encode_png(resize_longest(content, PREVIEW.size)), encode_png(style)
    previews: list[float] = []
    started = time.perf_counter()
    job = asyncio.create_task(asyncio.to_thread(stylizer.stylize, content, style, params))
    while lane is not None and not job.done():
        previews.append((await lane.paint(photo, [painting], PREVIEW)).seconds)
        await asyncio.sleep(every)
    await job
    return time.perf_counter() - started, previews


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=192)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--every", type=float, default=0.5, help="seconds between previews")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    stylizer, lane = Stylizer("cpu"), PreviewLane()
    params = StyleParams(size=args.size, iterations=args.iterations)
    await job_seconds(stylizer, params.with_changes(iterations=2), lane, args.every)  # warm-up
    alone, shared, previews = [], [], []
    for _ in range(args.repeats):
        alone.append((await job_seconds(stylizer, params, None, args.every))[0])
        seconds, painted = await job_seconds(stylizer, params, lane, args.every)
        shared.append(seconds)
        previews.extend(painted)
    lane.close()
    a, s = statistics.median(alone), statistics.median(shared)
    print(f"engine job ({args.size} px, {args.iterations} iterations), median of {args.repeats}:")
    print(f"  alone {a:.2f} s · with a {PREVIEW.size} px preview every {args.every} s {s:.2f} s "
          f"· ratio {s / a:.3f}")  # fmt: skip
    print(f"  {len(previews)} previews meanwhile: median {statistics.median(previews):.3f} s, "
          f"slowest {max(previews):.3f} s")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
