"""Animations on their own: decoding with timing, flow and its trust mask, encoding (one GIF
palette, H.264 MP4, WebP) within a size limit, and painting a clip steadier than frame by frame.
Tiny clips (4-6 frames, 48 px) made from the bundled photos; real flow, real codecs, real VGG."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest
from PIL import Image

from engine.errors import InvalidImage
from engine.motion import (
    AnimationSettings,
    ClipFacts,
    FrameStore,
    decode_clip,
    encode_clip,
    is_animation,
    probe_clip,
)
from engine.motion.flow import carry, flow_between, warp, warping_error
from engine.motion.painter import paint_clip
from engine.motion.preview import preview_animation, preview_clip
from engine.motion.store import resumed_frames
from engine.params import StyleParams
from tests.engine_images import ASTRONAUT
from tests.motion_clips import DURATIONS, SIDE, gif_bytes, gif_colour_tables, panned, pixels, style

PARAMS = StyleParams(size=SIDE, iterations=12, min_scale=SIDE)


def test_a_gif_decodes_with_its_frame_timing_and_loop():
    data = gif_bytes(panned(6), DURATIONS, loop=0)

    clip = decode_clip(data)

    assert is_animation(data) and not is_animation(ASTRONAUT)
    assert len(clip.frames) == 6 and clip.size == (SIDE, SIDE) and clip.frames[0].mode == "RGB"
    assert clip.durations_ms == DURATIONS and clip.loop == 0 and clip.kind == "image"
    assert decode_clip(gif_bytes(panned(6), DURATIONS, loop=None)).loop is None


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_apng_and_animated_webp_decode_with_their_timing(fmt):
    buffer = io.BytesIO()
    frames = panned(4)
    frames[0].save(buffer, format=fmt, save_all=True, append_images=frames[1:],
                   duration=DURATIONS[:4], loop=0, **({"lossless": True} if fmt == "WEBP" else {}))  # fmt: skip

    clip = decode_clip(buffer.getvalue())

    assert len(clip.frames) == 4 and clip.durations_ms == DURATIONS[:4] and clip.loop == 0


def test_a_still_picture_is_one_frame_and_a_text_file_is_refused_clearly(tmp_path):
    assert len(decode_clip(ASTRONAUT).frames) == 1
    bogus = tmp_path / "clip.mp4"
    bogus.write_text("not a video")
    with pytest.raises(InvalidImage, match="neither a picture nor a video we can read"):
        decode_clip(bogus)


def test_only_mp4_mov_and_webm_are_read_as_video_not_whatever_ffmpeg_can_open(tmp_path):
    # FFmpeg opens plain text as "tty" video and any name ending in .png as "image2".
    for name in ("notes.txt", "notes.png"):
        text = tmp_path / name
        text.write_text("just words, no picture")
        assert not is_animation(text)
        with pytest.raises(InvalidImage, match="neither a picture nor a video"):
            decode_clip(text)


def test_the_limits_cut_frames_length_and_frame_rate_and_say_what_they_cut():
    data = gif_bytes(panned(6), DURATIONS)

    fewer = decode_clip(data, AnimationSettings(max_frames=3))
    slower = decode_clip(data, AnimationSettings(max_fps=8))  # a frame at most every 125 ms
    shorter = decode_clip(data, AnimationSettings(max_seconds=0.25))

    assert fewer.durations_ms == DURATIONS[:3] and fewer.limited == ("the first 3 frames",)
    # Starts 0, 80, 200, 260, 360, 450, end 520: the kept frames take the dropped ones' time.
    assert slower.durations_ms == [200, 160, 160] and slower.limited == (
        "at most 8 frames a second",
    )
    assert shorter.durations_ms == [80, 120, 60] and shorter.limited == ("the first 0.25 s",)


def test_the_probe_tells_frames_length_and_rate_of_a_gif_a_webp_and_an_mp4_without_decoding():
    gif = gif_bytes(panned(6), DURATIONS)
    webp = encode_clip(panned(4), DURATIONS[:4], 0, "webp").data
    mp4 = encode_clip(panned(5), [100] * 5, 0, "mp4").data

    assert probe_clip(gif) == ClipFacts("GIF", 6, 0.52, pytest.approx(6 / 0.52))
    assert probe_clip(webp) == ClipFacts("WebP", 4, 0.36, pytest.approx(4 / 0.36))
    video = probe_clip(mp4)
    assert video.source == "video" and video.frames == 5
    assert video.seconds == pytest.approx(0.5, abs=0.05) and video.fps == pytest.approx(10, abs=1)


def test_a_gif_is_written_with_one_palette_for_every_frame_and_the_source_timing():
    frames = panned(6)

    encoded = encode_clip(frames, DURATIONS, 0, "gif")

    assert gif_colour_tables(encoded.data) == (True, 0)  # one global table, no frame its own
    back = decode_clip(encoded.data)
    assert back.durations_ms == DURATIONS and back.loop == 0 and len(back.frames) == 6
    assert all(
        np.abs(pixels(a) - pixels(b)).mean() < 0.03
        for a, b in zip(back.frames, frames, strict=True)
    )
    assert encoded.note is None


def test_an_mp4_is_h264_in_yuv420p_with_even_sides_and_each_frames_time():
    frames = [frame.resize((47, 33)) for frame in panned(5)]

    encoded = encode_clip(frames, DURATIONS[:5], 0, "mp4")

    with av.open(io.BytesIO(encoded.data)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264" and stream.codec_context.pix_fmt == "yuv420p"
        assert (stream.codec_context.width, stream.codec_context.height) == (46, 32)
    assert (encoded.width, encoded.height) == (46, 32)
    back = decode_clip(encoded.data)
    assert back.kind == "video" and back.durations_ms == DURATIONS[:5]


def test_an_animated_webp_keeps_its_timing():
    back = decode_clip(encode_clip(panned(4), DURATIONS[:4], 0, "webp").data)
    assert len(back.frames) == 4 and back.durations_ms == DURATIONS[:4] and back.loop == 0


def test_an_animation_over_the_upload_limit_is_reduced_and_says_how():
    frames = [frame.resize((160, 160)) for frame in panned(6)]
    full = encode_clip(frames, DURATIONS, 0, "gif")

    fitted = encode_clip(frames, DURATIONS, 0, "gif", max_bytes=len(full.data) // 3)

    assert len(fitted.data) <= len(full.data) // 3
    assert fitted.reduced and fitted.note.startswith("to fit the upload limit: ")
    back = decode_clip(fitted.data)
    assert sum(back.durations_ms) == sum(DURATIONS)  # whatever was dropped, the timing holds


def test_the_flow_follows_a_pan_and_distrusts_the_strip_that_comes_into_view():
    first, second = panned(2, step=3)

    flow, mask = flow_between(second, first)

    interior = (slice(8, -8), slice(8, -8))
    assert np.median(flow[interior][..., 0]) == pytest.approx(3, abs=0.3)
    assert np.median(np.abs(flow[interior][..., 1])) < 0.3
    assert mask[:, -2:].mean() < 0.5 < mask[interior].mean()  # the right edge is new


def test_brushwork_carried_from_frame_to_frame_keeps_its_fine_detail():
    painting = np.random.default_rng(7).random((48, 48, 3), dtype=np.float32)
    half_a_pixel = np.zeros((48, 48, 2), np.float32)
    half_a_pixel[..., 0] = 0.5
    carried, warped = painting, painting
    for _ in range(4):  # four frames of a slow pan
        carried, warped = carry(carried, half_a_pixel), warp(warped, half_a_pixel)

    interior = (slice(8, -8), slice(8, -8))
    assert carried.min() >= 0 and carried.max() <= 1
    assert carried[interior].std() > 0.75 * painting.std()
    assert warped[interior].std() < 0.6 * painting.std()  # what bilinear blur leaves


def test_frames_kept_on_disk_come_back_in_order_up_to_the_first_gap(tmp_path):
    store = FrameStore(tmp_path / "frames")
    for index in (0, 1, 3):
        store.save(index, gif_bytes([panned(1)[0]], [100]))

    assert [path.name for path in store.finished()] == ["frame-00000.png", "frame-00001.png"]
    clip = decode_clip(gif_bytes(panned(4), DURATIONS[:4]))
    assert len(resumed_frames(store.finished(), clip, SIDE)) == 2
    assert resumed_frames(store.finished(), clip, SIDE * 2) == []  # another size: paint again


def mean_warping_error(frames: list[np.ndarray], sources: list[Image.Image]) -> float:
    errors = []
    for index in range(len(frames) - 1):
        flow, mask = flow_between(sources[index], sources[index + 1])
        errors.append(warping_error(frames[index], frames[index + 1], flow, mask))
    return float(np.mean(errors))


def test_a_clip_painted_from_its_warped_predecessors_flickers_far_less_than_frame_by_frame(
    stylizer,
):
    sources = panned(4)
    settings = AnimationSettings()
    finished: list[int] = []

    steady = paint_clip(stylizer, sources, [style()], PARAMS, settings,
                        on_frame=lambda index, _: finished.append(index))  # fmt: skip
    alone = [stylizer.paint(frame, [style()], PARAMS.with_changes(seed=index))
             for index, frame in enumerate(sources)]  # fmt: skip

    assert finished == [0, 1, 2, 3] and steady[0].shape == (SIDE, SIDE, 3)
    assert mean_warping_error(steady, sources) < 0.5 * mean_warping_error(alone, sources)


def test_a_resumed_clip_keeps_its_finished_frames_and_paints_only_the_rest(stylizer):
    sources = panned(4)
    first = paint_clip(stylizer, sources[:2], [style()], PARAMS, AnimationSettings())
    progress = []

    whole = paint_clip(stylizer, sources, [style()], PARAMS, AnimationSettings(), done=first,
                       on_progress=progress.append)  # fmt: skip

    assert len(whole) == 4 and whole[0] is first[0] and whole[1] is first[1]
    assert {event.frame for event in progress} == {3, 4}
    assert progress[-1].frames == 4 and progress[-1].eta == pytest.approx(0, abs=1.0)


def test_the_instant_preview_of_a_clip_is_steadier_than_previewing_each_frame():
    from engine.preview import shared_preview_model

    model = shared_preview_model()
    sources = panned(4)
    params = StyleParams(size=SIDE)

    steady = [pixels(frame) for frame in preview_clip(model, sources, [style()], params)]
    alone = [pixels(model.stylize_with(frame, [style()], params)) for frame in sources]

    assert mean_warping_error(steady, sources) < mean_warping_error(alone, sources)


def test_the_instant_preview_of_a_gif_is_a_gif_with_one_palette_and_the_source_timing():
    from engine.preview import shared_preview_model

    data = gif_bytes(panned(4), DURATIONS[:4], loop=0)
    limits = AnimationSettings(max_frames=3)

    counted: list[tuple[int, int]] = []

    encoded, note = preview_animation(shared_preview_model(), data, [style()],
                                      StyleParams(size=SIDE), limits,
                                      lambda *frame: counted.append(frame))  # fmt: skip

    assert counted == [(1, 3), (2, 3), (3, 3)]

    assert encoded.format == "gif" and gif_colour_tables(encoded.data) == (True, 0)
    back = decode_clip(encoded.data)
    assert back.durations_ms == DURATIONS[:3] and back.loop == 0
    assert note is not None and note.startswith("painted ")  # the fourth frame was cut


@pytest.fixture(scope="module")
def stylizer():
    from engine.stylizer import Stylizer

    return Stylizer("cpu")
