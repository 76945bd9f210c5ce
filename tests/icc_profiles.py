"""A Display P3 ICC profile built in code, for tests (no binary profile file to ship).

Display P3 as Apple's phones embed it: DCI-P3 primaries, D65 white, the sRGB tone curve. An ICC
v2 matrix/TRC profile: the primaries adapted to the D50 connection space (Bradford, as in
Apple's own profile) and a parametric curve per channel.
"""

from __future__ import annotations

import struct

D50 = (0.9642, 1.0, 0.8249)
P3_RED_D50 = (0.515121, 0.241196, -0.001053)
P3_GREEN_D50 = (0.291977, 0.692236, 0.041885)
P3_BLUE_D50 = (0.157104, 0.066574, 0.784073)
# sRGB's pure red written in Display P3, as a phone that shoots in P3 stores it.
SRGB_RED_IN_P3 = (234, 51, 35)
# IEC 61966-2-1 (sRGB) curve as ICC parametric type 3: g, a, b, c, d.
SRGB_CURVE = (2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045)


def _s15f16(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz(xyz: tuple[float, float, float]) -> bytes:
    return b"XYZ \0\0\0\0" + b"".join(_s15f16(v) for v in xyz)


def _curve(params: tuple[float, ...]) -> bytes:
    return b"para\0\0\0\0" + struct.pack(">HH", 3, 0) + b"".join(_s15f16(p) for p in params)


def _description(text: str) -> bytes:
    ascii_text = text.encode("ascii") + b"\0"
    return (
        b"desc\0\0\0\0"
        + struct.pack(">I", len(ascii_text))
        + ascii_text
        + struct.pack(">II", 0, 0)  # no Unicode description
        + struct.pack(">HB", 0, 0)  # no ScriptCode description
        + bytes(67)
    )


def display_p3_profile() -> bytes:
    curve = _curve(SRGB_CURVE)
    tags = [
        (b"desc", _description("Display P3 (test)")),
        (b"cprt", b"text\0\0\0\0" + b"No copyright, use freely\0"),
        (b"wtpt", _xyz(D50)),
        (b"rXYZ", _xyz(P3_RED_D50)),
        (b"gXYZ", _xyz(P3_GREEN_D50)),
        (b"bXYZ", _xyz(P3_BLUE_D50)),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, body in tags:
        body += bytes(-len(body) % 4)  # tags start on 4-byte boundaries
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = (
        struct.pack(">I", size)
        + b"\0\0\0\0"
        + struct.pack(">I", 0x02100000)  # version 2.1
        + b"mntrRGB XYZ "
        + struct.pack(">6H", 2024, 1, 1, 0, 0, 0)
        + b"acsp"
        + bytes(24)  # platform, flags, manufacturer, model, attributes
        + struct.pack(">I", 0)  # perceptual intent
        + b"".join(_s15f16(v) for v in D50)
        + bytes(48)  # creator and reserved
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + data
