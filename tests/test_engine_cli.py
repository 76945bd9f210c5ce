import subprocess
import sys

import pytest
from PIL import Image

from engine.cli import build_parser, params_from_args
from engine.params import BASE_STYLE_WEIGHT
from tests.engine_images import ASTRONAUT, HUBBLE, ROOT, small


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "engine", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_paints_a_64px_pair_end_to_end(tmp_path):
    content, style = tmp_path / "content.png", tmp_path / "style.png"
    small(ASTRONAUT, 64).save(content)
    small(HUBBLE, 64).save(style)
    out = tmp_path / "out" / "painted.png"

    done = run_cli(str(content), str(style), "-o", str(out), "--size", "64", "--iterations", "4",
                   "--min-scale", "32", "--device", "cpu")  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert Image.open(out).size == (64, 64)
    assert "100%" in done.stderr and "scale 2/2" in done.stderr
    assert f"{out}: 64×64, 4 iterations" in done.stdout and "on cpu" in done.stdout


def test_cli_says_clearly_when_an_input_is_not_an_image(tmp_path):
    bogus = tmp_path / "notes.png"
    bogus.write_text("not a picture")

    done = run_cli(str(bogus), str(bogus), "-o", str(tmp_path / "x.png"), "--size", "32")

    assert done.returncode == 2
    assert "error: this file is not an image" in done.stderr
    assert "Traceback" not in done.stderr


def test_style_weight_is_strength_times_the_base_weight():
    args = build_parser().parse_args(["c.png", "s.png", "-o", "o.png", "--style-weight", "0.02"])
    assert params_from_args(args).style_weight == 0.02
    args = build_parser().parse_args(["c.png", "s1.png", "s2.png", "-o", "o.png",
                                      "--strength", "2", "--style-blend", "3,1"])  # fmt: skip
    params = params_from_args(args)
    assert params.style_weight == 2 * BASE_STYLE_WEIGHT and params.style_blend == (3.0, 1.0)


def test_the_cli_offers_exactly_the_engines_choices():
    args = build_parser().parse_args(["c.png", "s.png", "-o", "o.png", "--init", "preview"])
    assert params_from_args(args).init == "preview"
    for bad in (["--init", "banana"], ["--optimizer", "sgd"]):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["c.png", "s.png", "-o", "o.png", *bad])
