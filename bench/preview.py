"""The preview network: which runtime to use, and how long one preview takes.

Prints what each route costs before the first preview (import, model load, resident memory) in a
fresh interpreter, then seconds per preview at 256, 512 and 1024 px with all cores and with one
intra-op thread (how the bot's preview lane runs it), median of a few runs.

    python -m bench.preview
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image

from engine.preview import PreviewModel

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "tests" / "images" / "cat.png"
STYLE = ROOT / "engine" / "examples" / "hubble_deep_field.jpg"
SIZES = (256, 512, 1024)

# Each snippet runs in a fresh interpreter: prints seconds to import, then to load, then peak RSS.
START_UP = {
    "onnxruntime (chosen)": (
        "import onnxruntime",
        "from engine.preview import PreviewModel; PreviewModel()",
    ),
    "torch (a PyTorch port)": ("import torch", "torch.nn.Conv2d(3, 32, 9)"),
}
TIMED = """
import resource, sys, time
t = time.perf_counter(); exec(sys.argv[1]); imported = time.perf_counter() - t
t = time.perf_counter(); exec(sys.argv[2]); loaded = time.perf_counter() - t
print(imported, loaded, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def start_up(imports: str, load: str) -> tuple[float, float, float]:
    done = subprocess.run(
        [sys.executable, "-c", TIMED, imports, load],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    imported, loaded, rss = (float(x) for x in done.stdout.split())
    return imported, loaded, rss


def seconds_per_preview(model: PreviewModel, size: int, repeats: int) -> float:
    content, style = Image.open(CONTENT), Image.open(STYLE)
    model.stylize(content, style, size)  # first run allocates
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        model.stylize(content, style, size)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print("route                    import s  load s  peak RSS MB")
    for route, (imports, load) in START_UP.items():
        imported, loaded, rss = start_up(imports, load)
        print(f"{route:24} {imported:8.2f} {loaded:7.2f} {rss:12.0f}")
    print("\npreview of the cat in the Hubble style (median seconds; content and style included)")
    print("threads " + "".join(f"{size:>9} px" for size in SIZES))
    for threads in (0, 1):
        model = PreviewModel(threads=threads)
        figures = "".join(f"{seconds_per_preview(model, s, args.repeats):12.3f}" for s in SIZES)
        print(f"{'all' if threads == 0 else threads:>7} {figures}")


if __name__ == "__main__":
    main()
