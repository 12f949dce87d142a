"""An image "model" that needs no weights: a normalised colour histogram, shaped like open_clip's API.

Swap it for `open_clip.create_model_and_transforms("ViT-B-32", ...)` where model weights are available;
the pipeline scripts do not change.
"""

from __future__ import annotations

from PIL import Image


class ColourHistogram:
    """`encode_image(pixels)` -> a unit-length vector of per-channel colour frequencies."""

    def __init__(self, bins: int = 16) -> None:
        self.bins = bins

    def encode_image(self, image: Image.Image) -> list[float]:
        histogram = image.histogram()  # 256 counts per channel, R then G then B
        step = 256 // self.bins
        bins = [(c * 256 + b, c * 256 + b + step) for c in range(3) for b in range(0, 256, step)]
        vector = [float(sum(histogram[start:end])) for start, end in bins]
        norm = sum(v * v for v in vector) ** 0.5 or 1.0
        return [v / norm for v in vector]


def create_model_and_transforms(bins: int = 16):
    """(model, preprocess), like open_clip: preprocess turns a PIL image into the model's input."""
    return ColourHistogram(bins), lambda image: image.convert("RGB").resize((128, 128))
