"""Instant previews: a feed-forward arbitrary-style network, one pass, no torch (onnxruntime)."""

from engine.preview.model import PreviewModel, PreviewWeightsError, shared_preview_model

__all__ = ["PreviewModel", "PreviewWeightsError", "shared_preview_model"]
