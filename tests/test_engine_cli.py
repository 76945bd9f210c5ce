import io
import select
import signal
import subprocess
import sys
from typing import IO

import numpy as np
import pytest
import tifffile
from PIL import Image

from engine.cli import build_parser, params_from_args
from engine.cli_progress import ProgressDisplay
from engine.events import Progress
from engine.images import save_pixels
from engine.params import BASE_STYLE_WEIGHT, PALETTE_WEIGHT
from tests.engine_images import ASTRONAUT, HUBBLE, ROOT, small


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "engine", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_paints_a_64px_pair_end_to_end_in_the_format_the_extension_names(tmp_path):
    content, style = tmp_path / "content.png", tmp_path / "style.png"
    small(ASTRONAUT, 64).save(content)
    small(HUBBLE, 64).save(style)
    out = tmp_path / "out" / "painted.jpg"

    done = run_cli(str(content), str(style), "-o", str(out), "--size", "64", "--iterations", "4",
                   "--min-scale", "32", "--device", "cpu")  # fmt: skip

    assert done.returncode == 0, done.stderr
    with Image.open(out) as image:
        assert image.format == "JPEG" and image.size == (64, 64)
    # stderr is a pipe here, as in a log: whole lines, no carriage-return frames.
    assert "100%  scale 2/2 (64×64)  4/4" in done.stderr and "\r" not in done.stderr
    assert f"{out}: 64×64, 4 iterations" in done.stdout and "on cpu" in done.stdout


def test_cli_repaints_an_earlier_result_bigger_from_its_init_image(tmp_path):
    content, style, earlier = tmp_path / "content.png", tmp_path / "style.png", tmp_path / "a.png"
    small(ASTRONAUT, 64).save(content)
    small(HUBBLE, 64).save(style)
    small(HUBBLE, 32).save(earlier)
    out = tmp_path / "bigger.png"

    done = run_cli(str(content), str(style), "-o", str(out), "--size", "64", "--iterations", "2",
                   "--min-scale", "32", "--init-image", str(earlier), "--device", "cpu")  # fmt: skip
    previewed = run_cli(str(content), str(style), "-o", str(out), "--preview",
                        "--init-image", str(earlier))  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert "scale 1/2 (32×32)" in done.stderr and "scale 2/2 (64×64)" in done.stderr
    with Image.open(out) as image:
        assert image.size == (64, 64)
    assert previewed.returncode == 2
    assert "--init-image needs the VGG optimisation; leave out --preview" in previewed.stderr


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


def test_the_palette_pull_can_be_set_or_turned_off_from_the_cli():
    def palette_weight(*options):
        args = build_parser().parse_args(["c.png", "s.png", "-o", "o.png", *options])
        return params_from_args(args).palette_weight

    assert palette_weight() == PALETTE_WEIGHT
    assert palette_weight("--palette-weight", "0") == 0.0


def test_the_cli_offers_exactly_the_engines_choices():
    args = build_parser().parse_args(["c.png", "s.png", "-o", "o.png", "--init", "preview"])
    assert params_from_args(args).init == "preview"
    for bad in (["--init", "banana"], ["--optimizer", "sgd"]):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["c.png", "s.png", "-o", "o.png", *bad])


@pytest.mark.parametrize(
    ("name", "fmt", "mode"),
    [("a.png", "PNG", "RGB"), ("a.JPEG", "JPEG", "RGB"), ("a.webp", "WEBP", "RGB")],
)
def test_eight_bit_formats_are_written_as_their_extension_says(tmp_path, name, fmt, mode):
    pixels = np.random.default_rng(1).random((12, 20, 3), dtype=np.float32)
    save_pixels(pixels, tmp_path / name)
    with Image.open(tmp_path / name) as image:
        assert (image.format, image.mode, image.size) == (fmt, mode, (20, 12))


def test_tiff_keeps_sixteen_bits_per_channel(tmp_path):
    # Two values 8-bit output could not tell apart: 1/1000 apart, under one 8-bit step (1/255).
    pixels = np.full((4, 4, 3), 0.5, dtype=np.float32)
    pixels[0, 0] = 0.501
    save_pixels(pixels, tmp_path / "deep.tiff")
    data = tifffile.imread(tmp_path / "deep.tiff")
    assert data.dtype == np.uint16 and data.shape == (4, 4, 3)
    assert data[0, 0, 0] - data[1, 1, 0] == round(0.501 * 65535) - round(0.5 * 65535)


def test_an_unknown_extension_is_refused_before_any_work(tmp_path):
    done = run_cli("c.png", "s.png", "-o", str(tmp_path / "out.bmp"))
    assert done.returncode == 2
    assert "cannot tell the output format from 'out.bmp'" in done.stderr
    assert ".png, .jpg, .jpeg, .webp, .tif, .tiff" in done.stderr
    assert not (tmp_path / "out.bmp").exists()


def line_within(stream: IO[str], seconds: float) -> str:
    """The next line of a child's pipe, failing the test (not hanging it) when none comes."""
    ready, _, _ = select.select([stream], [], [], seconds)
    assert ready, f"no line within {seconds} s"
    return stream.readline()


def test_ctrl_c_saves_the_picture_so_far_and_says_so(tmp_path):
    content, style = tmp_path / "content.png", tmp_path / "style.png"
    small(ASTRONAUT, 64).save(content)
    small(HUBBLE, 64).save(style)
    out = tmp_path / "partial.png"
    process = subprocess.Popen(
        [sys.executable, "-m", "engine", str(content), str(style), "-o", str(out),
         "--size", "64", "--iterations", "5000", "--min-scale", "32", "--device", "cpu"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        first_line = line_within(process.stderr, 120)  # the first progress line: it paints
        assert "scale 1/2" in first_line, first_line
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 130, stderr
    assert "stopping after this iteration to save the picture so far" in stderr
    assert (
        "interrupted, cancelled after" in stdout and f"saved the picture so far to {out}" in stdout
    )
    with Image.open(out) as image:
        assert image.format == "PNG" and max(image.size) in (32, 64)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_progress_is_a_tqdm_bar():
    screen = Terminal()
    display = ProgressDisplay(screen)
    for i in range(1, 5):
        display(Progress(1 + (i > 2), 2, 32 * (1 + (i > 2)), 32, i, 4, 1.0 / i, i, 4 - i))
    display.close()
    text = screen.getvalue()
    assert "\r" in text and "4/4" in text and "100%" in text
    assert "scale 2/2 (64×32) loss 0.250" in text
