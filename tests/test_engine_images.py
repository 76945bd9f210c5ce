import io

import pytest
from PIL import Image

from engine.errors import InvalidImage
from engine.images import decode_image, encode_png, resize_longest
from tests.engine_images import ASTRONAUT, png_bytes, small
from tests.icc_profiles import SRGB_RED_IN_P3, display_p3_profile

PNG = png_bytes(small(ASTRONAUT, 32))


def test_plain_png_decodes_to_rgb():
    image = decode_image(png_bytes(small(ASTRONAUT, 40)))
    assert image.mode == "RGB" and image.size == (40, 40)


def test_exif_orientation_is_applied():
    wide = Image.new("RGB", (40, 20), "red")
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    decoded = decode_image(png_bytes(wide, "JPEG", exif=exif))
    assert decoded.size == (20, 40)


def test_transparent_pixels_are_flattened_onto_white():
    clear = Image.new("RGBA", (8, 8), (255, 0, 0, 0))
    assert decode_image(png_bytes(clear)).getpixel((0, 0)) == (255, 255, 255)


@pytest.mark.parametrize(
    ("mode", "fmt"),
    [("P", "PNG"), ("CMYK", "JPEG"), ("L", "PNG"), ("I;16", "PNG"), ("LA", "PNG"), ("1", "PNG")],
)
def test_every_common_mode_becomes_rgb(mode, fmt):
    source = small(ASTRONAUT, 16).convert("L" if mode == "I;16" else mode)
    if mode == "I;16":
        source = source.point(lambda v: v * 256).convert("I").convert("I;16")
    decoded = decode_image(png_bytes(source, fmt))
    assert decoded.mode == "RGB" and decoded.size == (16, 16)


def test_sixteen_bit_greyscale_keeps_its_brightness():
    grey = Image.new("I;16", (4, 4), 40000)
    assert decode_image(png_bytes(grey)).getpixel((0, 0))[0] == 40000 // 256


def test_animated_gif_takes_its_first_frame():
    frames = [Image.new("RGB", (8, 8), colour) for colour in ("blue", "yellow")]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=50)
    r, _, b = decode_image(buffer.getvalue()).getpixel((0, 0))
    assert b > 200 and r < 50


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "not an image"),
        (b"hello, I am a text file", "not an image"),
        (b"%PDF-1.4 not really", "not an image"),
        (PNG[: len(PNG) * 3 // 4], "damaged or truncated"),
    ],
    ids=["empty", "text", "pdf", "truncated-png"],
)
def test_unreadable_files_are_invalid_images(data, reason):
    with pytest.raises(InvalidImage, match=reason):
        decode_image(data)


def test_an_image_over_the_pixel_cap_is_refused_before_decoding():
    with pytest.raises(InvalidImage, match=r"100×100 = 0\.0 megapixels"):
        decode_image(png_bytes(Image.new("RGB", (100, 100))), max_pixels=5_000)


def test_a_decompression_bomb_header_is_refused():
    # A PNG header claiming 60000×60000 pixels: Pillow would need ~10 GB to decode it.
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0)
    bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")
    with pytest.raises(InvalidImage, match="megapixels"):
        decode_image(bomb)


def test_results_are_8_bit_rgb_png():
    data = encode_png(Image.new("RGB", (10, 6), "green"))
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.mode == "RGB" and image.size == (10, 6)


def test_resize_keeps_aspect_ratio_by_longest_side():
    assert resize_longest(Image.new("RGB", (400, 200)), 100).size == (100, 50)
    assert resize_longest(Image.new("RGB", (200, 400)), 100).size == (50, 100)


def tagged_png(colour: tuple[int, int, int], icc: bytes | None) -> bytes:
    buffer = io.BytesIO()
    options = {"icc_profile": icc} if icc is not None else {}
    Image.new("RGB", (8, 8), colour).save(buffer, format="PNG", **options)
    return buffer.getvalue()


def test_a_display_p3_photo_is_converted_to_srgb():
    decoded = decode_image(tagged_png(SRGB_RED_IN_P3, display_p3_profile()))
    r, g, b = decoded.getpixel((0, 0))
    assert r >= 253 and g <= 2 and b <= 2, (r, g, b)
    assert "icc_profile" not in decoded.info


def test_grey_stays_grey_through_the_p3_conversion():
    assert decode_image(tagged_png((128, 128, 128), display_p3_profile())).getpixel((0, 0)) == (
        128,
        128,
        128,
    )


def test_untagged_or_badly_tagged_pictures_are_taken_as_srgb():
    assert decode_image(tagged_png(SRGB_RED_IN_P3, None)).getpixel((0, 0)) == SRGB_RED_IN_P3
    broken = b"not an ICC profile at all"
    assert decode_image(tagged_png(SRGB_RED_IN_P3, broken)).getpixel((0, 0)) == SRGB_RED_IN_P3
