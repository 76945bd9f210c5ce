"""The bench's public-domain photo × painting pairs (see bench/images/SOURCES.md and
engine/examples/SOURCES.md), shared by the quality and the variations measurements."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGES = Path(__file__).resolve().parent / "images"
PAIRS = {
    "cat-starry_night": (ROOT / "tests" / "images" / "cat.png", IMAGES / "starry_night.jpg"),
    "astronaut-scream": (ROOT / "engine" / "examples" / "astronaut.png", IMAGES / "the_scream.jpg"),
    "rocket-shipwreck": (IMAGES / "rocket.jpg", IMAGES / "shipwreck.jpg"),
}
