"""`preserve_colors` for the preview: the painted light and shade, the content's colours.

The engine keeps colours by painting the luminance alone, with the style's luma first matched
to the content's (engine/color.py). A feed-forward network cannot be asked to paint luminance
only, so the preview does the same matching afterwards: the painted luma, shifted and scaled to
the content's mean and spread, under the content's chroma. Matching after keeps the full
brushwork; a dark style such as a night sky no longer darkens the picture. Arrays are
H×W×3 float32 in 0..1.
"""

from __future__ import annotations

import numpy as np

from engine.yiq import RGB_TO_YIQ, YIQ_TO_RGB

# Below this spread a painted luma is flat; scaling it up would only amplify noise.
FLAT_LUMA = 1e-5


def matched_luma(luma: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """`luma` shifted and scaled to the mean and standard deviation of `reference`."""
    spread = reference.std() / max(float(luma.std()), FLAT_LUMA)
    return (luma - luma.mean()) * spread + reference.mean()


def keep_content_colors(painted: np.ndarray, content: np.ndarray) -> np.ndarray:
    """The painted picture's (matched) luma under the content's chroma, clipped to 0..1."""
    content_yiq = content @ RGB_TO_YIQ.T
    painted_luma = painted @ RGB_TO_YIQ[0]
    content_yiq[..., 0] = matched_luma(painted_luma, content_yiq[..., 0])
    return np.clip(content_yiq @ YIQ_TO_RGB.T, 0.0, 1.0)
