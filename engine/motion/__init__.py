"""Moving pictures: animated GIF, WebP and APNG and short MP4/WebM/MOV clips, painted frame by
frame without flicker (Ruder, Dosovitskiy and Brox 2016, "Artistic style transfer for videos").

Torch-free here and in `settings`, `clip`, `flow`, `encode`, `answer`, `store` and `preview`, so
the bot process can decode, preview, encode and keep frames; `painter` and `job` import torch and
run in the engine's workers. May import `engine.images`, `engine.params`, `engine.events`,
`engine.errors`, `engine.schedule`, `engine.preview` and `engine.stylizer`, never `bot`; only
`job`, the worker's side of an animation job, imports `engine.pool` (which imports `settings`). Its events are `engine.events.FrameProgress`
and `FrameDone`, and `engine.pool.events.AnimationDone`.
"""

from engine.motion.clip import Clip, ClipFacts, decode_clip, is_animation, probe_clip
from engine.motion.encode import Encoded, encode_clip
from engine.motion.settings import FORMATS, AnimationSettings, OutputFormat
from engine.motion.store import FrameStore

__all__ = [
    "FORMATS",
    "AnimationSettings",
    "Clip",
    "ClipFacts",
    "Encoded",
    "FrameStore",
    "OutputFormat",
    "decode_clip",
    "encode_clip",
    "is_animation",
    "probe_clip",
]
