import pytest
import torch
import torch.nn.functional as F

from engine.images import decode_image
from engine.tensors import to_tensor
from engine.vgg import VGGFeatures, vgg19_features
from engine.weights import (
    CONV_INDICES,
    EMBEDDED_FILE,
    WeightsMismatch,
    embedded_weights_path,
    load_embedded,
    load_weights,
)
from tests.engine_images import CAT

EXPECTED_CONV_SHAPES = [
    (64, 3), (64, 64),
    (128, 64), (128, 128),
    (256, 128), (256, 256), (256, 256), (256, 256),
    (512, 256), (512, 512), (512, 512), (512, 512),
    (512, 512), (512, 512), (512, 512), (512, 512),
]  # fmt: skip


@pytest.fixture(scope="module")
def weights():
    return load_weights("embedded")


def test_embedded_weights_have_the_vgg19_layout(weights):
    assert weights.preprocessing == "caffe"
    for index, (out_channels, in_channels) in zip(CONV_INDICES, EXPECTED_CONV_SHAPES, strict=True):
        assert weights.state_dict[f"{index}.weight"].shape == (out_channels, in_channels, 3, 3)
        assert weights.state_dict[f"{index}.bias"].shape == (out_channels,)


def test_embedded_weights_decode_to_the_original_values(weights):
    # Statistics of the decoded original (Caffe) VGG-19: a wrong codebook lookup or layer order
    # changes them by far more than the tolerance.
    first, last = weights.state_dict["0.weight"], weights.state_dict["34.weight"]
    assert first.std().item() == pytest.approx(0.191432, rel=1e-4)
    assert first.abs().sum().item() == pytest.approx(270.431, rel=1e-4)
    assert weights.state_dict["0.bias"].mean().item() == pytest.approx(0.467821, rel=1e-4)
    assert last.std().item() == pytest.approx(0.008133, rel=1e-3)
    assert weights.state_dict["34.bias"].mean().item() == pytest.approx(0.171624, rel=1e-4)


def test_a_cat_and_noise_give_clearly_different_deep_features(weights):
    vgg = VGGFeatures(weights, ("relu5_1",))
    cat = to_tensor(decode_image(CAT), torch.device("cpu"))
    shifted_cat = torch.roll(cat, shifts=(6, 9), dims=(2, 3))
    noise = torch.rand(cat.shape, generator=torch.Generator().manual_seed(0))

    def descriptor(image):
        return vgg(image)["relu5_1"].mean(dim=(2, 3)).flatten()

    cat_vs_shifted = F.cosine_similarity(descriptor(cat), descriptor(shifted_cat), dim=0)
    cat_vs_noise = F.cosine_similarity(descriptor(cat), descriptor(noise), dim=0)
    assert cat_vs_shifted > 0.9
    assert cat_vs_noise < 0.5
    assert cat_vs_shifted - cat_vs_noise > 0.5


def test_missing_torchvision_cache_is_a_clear_error_not_a_download(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    with pytest.raises(FileNotFoundError, match="not in the local cache"):
        load_weights("torchvision")


def test_a_saved_state_dict_loads_as_weights(tmp_path, weights):
    path = tmp_path / "vgg19-caffe.pth"
    torch.save({f"features.{k}": v for k, v in weights.state_dict.items()}, path)
    loaded = load_weights(str(path))
    assert loaded.preprocessing == "caffe"
    assert torch.equal(loaded.state_dict["0.weight"], weights.state_dict["0.weight"])


def test_the_network_has_torchvisions_vgg19_features_layout():
    from torchvision.models import vgg19

    reference = vgg19().features
    ours = vgg19_features(len(reference) - 1)
    assert [type(m) for m in ours] == [type(m) for m in reference]
    assert {k: v.shape for k, v in ours.state_dict().items()} == {
        k: v.shape for k, v in reference.state_dict().items()
    }


def test_an_embedded_weights_file_that_changed_is_refused_before_loading(tmp_path):
    changed = tmp_path / EMBEDDED_FILE
    data = bytearray(embedded_weights_path().read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte, as a corrupted or different release would
    changed.write_bytes(bytes(data))
    with pytest.raises(WeightsMismatch, match="expected c34748d2"):
        load_embedded(changed)
