"""A Data Memory like the README walkthrough's, made with the real API: the Knowledge Base and CLI tests use it."""

from __future__ import annotations

from PIL import Image
from pydantic import BaseModel, Field

import dagster_datachain as dc

SECRET = "SECRET123"


class ImageInfo(BaseModel):
    """Pixel size of an image."""

    width: int = Field(description="Width in pixels")
    height: int = Field(description="Height in pixels")


def get_info(file: dc.ImageFile) -> ImageInfo:
    image = file.read()
    return ImageInfo(width=image.width, height=image.height)


def area(info: ImageInfo) -> int:
    return info.width * info.height


def save_images(images) -> dc.DataChain:
    """Read the image folder (with a fake secret storage option) and save the next `pets_images` version."""
    chain = dc.read_storage(images.root, type="image", key=SECRET).map(info=get_info)
    return chain.save("pets_images", description="Pet photos with their pixel size")


def build_pets(images) -> None:
    """pets_images 1.0.0 (12 rows), 1.0.1 (+1), 1.0.2 (1 changed, 1 removed); pets_area from it; labels joinable
    with it but not built from it; numbers from values; scratch saved and deleted."""
    save_images(images)
    Image.new("RGB", (90, 70), "white").save(images.root / "cats/abyssinian/abyssinian_9.jpg")
    save_images(images)
    Image.new("RGB", (333, 222), "black").save(images.root / "dogs/shiba_inu/shiba_inu_0.jpg")
    (images.root / "dogs/cocker_spaniel/cocker_spaniel_3.jpg").unlink()
    save_images(images)
    dc.read_dataset("pets_images").map(area=area).save("pets_area")
    dc.read_values(file=[dc.File(path="cats/abyssinian/abyssinian_0.jpg")], label=["cat"]).save("labels")
    dc.read_values(n=[1, 2, 3]).save("numbers")
    dc.read_values(n=[1]).save("scratch")
    dc.delete_dataset("scratch")
