"""The demo's UDFs and their output models, shared by the Python assets and the YAML components."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PIL import Image
from pydantic import BaseModel, Field

import dagster_datachain as dc


class ImageInfo(BaseModel):
    """Pixel dimensions of an image."""

    width: int = Field(description="Image width in pixels")
    height: int = Field(description="Image height in pixels")


class Breed(BaseModel):
    """One line of the Oxford Pets annotation list."""

    image: str = Field(description="Image name without extension, e.g. shiba_inu_52")
    breed: str = Field(description="Breed name, e.g. shiba_inu")
    species: str = Field(description="cat or dog")


def get_info(file: dc.File) -> ImageInfo:
    """Read an image's width and height."""
    img = Image.open(io.BytesIO(file.read()))
    return ImageInfo(width=img.width, height=img.height)


def encode(file: dc.File, model: Any, preprocess: Any) -> list[float]:
    """Embed an image with the model built once by setup() (a colour histogram here; open_clip in production)."""
    img = Image.open(io.BytesIO(file.read())).convert("RGB")
    return model.encode_image(preprocess(img))


def parse_breeds(file: dc.TextFile) -> Iterator[Breed]:
    """One Breed per line of annotations/list.txt: `<image> <class_id> <species 1=cat 2=dog> <breed_id>`."""
    for line in file.read().splitlines():
        image, _class_id, species, _breed_id = line.split()
        yield Breed(image=image, breed=image.rsplit("_", 1)[0], species="cat" if species == "1" else "dog")


def mask_image(file: dc.File) -> str:
    """The image a trimap mask belongs to."""
    return Path(file.path).stem
