"""Why the losses are normalised: how much the style/content balance moves between image pairs.

For several very different (content, style) pairs and two sizes, measures at the same kind of
point (halfway between content and style) the ratio of the style term's gradient to the content
term's, once with the raw Gatys losses (Gatys et al. 2016, weights 1 : 1e3 on sums, as in the
paper's formulas) and once with Atelier's scaled losses. A weight only means the same thing
across pairs if that ratio barely moves; the spread (max / min) says how far it moves.

    python -m bench.loss_balance
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from PIL import Image

from bench.speed import EXAMPLES
from engine.images import decode_image, resize_longest
from engine.losses import CONTENT_LAYER, STYLE_LAYERS, ContentLoss, StyleLoss
from engine.params import BASE_STYLE_WEIGHT
from engine.stylizer import Stylizer
from engine.tensors import to_tensor

CAT = EXAMPLES.parents[1] / "tests" / "images" / "cat.png"
RAW_STYLE_WEIGHT = 1e3


def stripes(size: int = 256) -> Image.Image:
    x = torch.arange(size).float()
    wave = (torch.sin(x / 6)[None, :] + torch.cos(x / 11)[:, None]).mul(0.25).add(0.5)
    rgb = torch.stack([wave, wave.flip(0), 1 - wave])
    return Image.fromarray(rgb.mul(255).byte().permute(1, 2, 0).numpy())


def raw_gatys(features, content_features, style_grams):
    """Gatys et al.: content ½Σ(F-P)², style Σ_l ¼N²M² Σ(G-A)² with unnormalised Grams."""
    content = 0.5 * (features[CONTENT_LAYER] - content_features[CONTENT_LAYER]).pow(2).sum()
    style = 0
    for layer in STYLE_LAYERS:
        _, n, h, w = features[layer].shape
        flat = features[layer].reshape(n, h * w)
        gram = flat @ flat.t()
        style = style + (gram - style_grams[layer]).pow(2).sum() / (4 * n**2 * (h * w) ** 2)
    return content, RAW_STYLE_WEIGHT * style / len(STYLE_LAYERS)


def gradient_ratio(stylizer: Stylizer, content: Image.Image, style: Image.Image, size: int):
    c = to_tensor(resize_longest(content, size), stylizer.device)
    s = to_tensor(resize_longest(style, size), stylizer.device)
    with torch.no_grad():
        cf, sf = stylizer.features(c), stylizer.features(s)
        raw_grams = {}
        for layer in STYLE_LAYERS:
            _, n, h, w = sf[layer].shape
            flat = sf[layer].reshape(n, h * w)
            raw_grams[layer] = flat @ flat.t()
    content_loss, style_loss = (
        ContentLoss(cf[CONTENT_LAYER]),
        StyleLoss(StyleLoss.targets([sf], [1]), "gram"),
    )
    point = (0.5 * c + 0.5 * F.interpolate(s, size=c.shape[-2:], mode="bicubic")).clamp(0, 1)

    def grad_norm(term) -> float:
        x = point.clone().requires_grad_(True)
        term(stylizer.features(x)).backward()
        return x.grad.norm().item()

    raw = grad_norm(lambda f: raw_gatys(f, cf, raw_grams)[1]) / grad_norm(
        lambda f: raw_gatys(f, cf, raw_grams)[0]
    )
    ours = grad_norm(lambda f: BASE_STYLE_WEIGHT * style_loss(f)) / grad_norm(content_loss)
    return raw, ours


def main() -> None:
    stylizer = Stylizer("cpu")
    images = {
        "astronaut": decode_image(EXAMPLES / "astronaut.png"),
        "hubble": decode_image(EXAMPLES / "hubble_deep_field.jpg"),
        "cat": decode_image(CAT),
        "stripes": stripes(),
    }
    pairs = [
        ("astronaut", "hubble"),
        ("cat", "stripes"),
        ("hubble", "cat"),
        ("stripes", "astronaut"),
    ]
    print(f"{'pair':<22}{'size':>6}{'raw Gatys':>14}{'Atelier':>10}   (style / content gradient)")
    raws, ours = [], []
    for content, style in pairs:
        for size in (128, 256):
            raw, our = gradient_ratio(stylizer, images[content], images[style], size)
            raws.append(raw)
            ours.append(our)
            print(f"{content + ' / ' + style:<22}{size:>6}{raw:>14.3g}{our:>10.3g}")
    print(
        f"spread (max/min): raw Gatys {max(raws) / min(raws):.0f}x, "
        f"Atelier {max(ours) / min(ours):.1f}x"
    )


if __name__ == "__main__":
    main()
