"""The reference README's walkthrough as Dagster assets.

    bucket/folder/oxford_pets_micro/images ──> pets_images ──> pets_embeddings ──┐
    bucket/folder/.../annotations ──> pet_breeds, pet_masks ─────────────────────┴─> dogs_with_masks
                                                                                      └─> similar_to_reference

Data: a generated stand-in for the oxford-pets-micro bucket under `$DC_DEMO_ROOT` (default `.demo/` in the
repository), made on first import with no network. Data Memory: `$DATACHAIN_ROOT_DIR` or `.datachain/`.
`dagster dev` from the repository root shows it all (workspace.yaml points here).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
from PIL import Image
from pydantic import BaseModel, Field

import dagster_datachain as dc
from definitions import demo_data
from definitions.colour_model import create_model_and_transforms

DEMO_ROOT = Path(os.environ.get("DC_DEMO_ROOT", Path(__file__).resolve().parent.parent / ".demo"))
PETS = demo_data.ensure(DEMO_ROOT / "oxford-pets-micro")
REFERENCE_IMAGE = DEMO_ROOT / "fiona.jpg"
IMAGES = f"{PETS}/images/"
ANNOTATIONS = f"{PETS}/annotations/"


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


def encode(file: dc.File, model, preprocess) -> list[float]:  # noqa: ANN001 - objects from setup()
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


images_bucket = dc.bucket_asset(IMAGES, description="Pet photos (stand-in for s3://dc-readme/oxford-pets-micro/images)")
annotations_bucket = dc.bucket_asset(ANNOTATIONS, description="Breed list and trimap masks")


@dc.dataset_asset(deps=[images_bucket], prefetch=64)
def pets_images() -> dc.DataChain:
    """Every pet image with its dimensions; re-runs process only new or changed files."""
    return dc.read_storage(f"{IMAGES}**/*.jpg", delta=True).map(info=get_info)


@dc.dataset_asset(batch_size=100)
def pets_embeddings(pets_images: dc.DataChain) -> dc.DataChain:
    """An embedding per image, computed only for images added since the last run."""
    model, preprocess = create_model_and_transforms(bins=16)
    return (
        dc.read_dataset(pets_images.dataset.reference, delta=True)  # type: ignore[union-attr]
        .setup(model=lambda: model, preprocess=lambda: preprocess)
        .map(emb=encode)
    )


@dc.dataset_asset(deps=[annotations_bucket])
def pet_breeds() -> dc.DataChain:
    """Breed and species of every image, from the annotation list."""
    return dc.read_storage(f"{ANNOTATIONS}list.txt", type="text").gen(breed=parse_breeds)


@dc.dataset_asset(deps=[annotations_bucket])
def pet_masks() -> dc.DataChain:
    """Which images have a trimap mask."""
    return dc.read_storage(f"{ANNOTATIONS}trimaps/*.png").map(image=mask_image)


@dc.dataset_asset()
def dogs_with_masks(pets_embeddings: dc.DataChain, pet_breeds: dc.DataChain, pet_masks: dc.DataChain) -> dc.DataChain:
    """Dogs wider than 400px that have a mask, without Cocker Spaniels: the README task's candidate set."""
    return (
        pets_embeddings.mutate(image=dc.func.path.file_stem("file.path"))
        .merge(pet_breeds, on="image", right_on="breed.image", inner=True)
        .merge(pet_masks.select("image", "file"), on="image", inner=True, rname="mask_")
        .filter(
            (dc.C("breed.species") == "dog")
            & ~dc.C("breed.breed").ilike("%cocker_spaniel%")
            & (dc.C("info.width") > 400)
        )
    )


@dc.dataset_asset()
def similar_to_reference(dogs_with_masks: dc.DataChain) -> dc.DataChain:
    """The three dogs closest to fiona.jpg by cosine distance of their embeddings."""
    model, preprocess = create_model_and_transforms(bins=16)
    reference = model.encode_image(preprocess(Image.open(REFERENCE_IMAGE)))
    return (
        dogs_with_masks.mutate(distance=dc.func.cosine_distance(dc.C("emb"), reference))
        .order_by("distance")
        .limit(3)
        .select("file.path", "breed.breed", "distance")
    )


walkthrough = dg.define_asset_job("walkthrough", selection=dg.AssetSelection.groups("datasets"))

defs = dg.Definitions(
    assets=[images_bucket, annotations_bucket, pets_images, pets_embeddings, pet_breeds, pet_masks,
            dogs_with_masks, similar_to_reference],
    jobs=[walkthrough],
    schedules=[dg.ScheduleDefinition(name="walkthrough_daily", job=walkthrough, cron_schedule="0 4 * * *")],
    sensors=[dc.bucket_sensor(IMAGES, target=[pets_images, pets_embeddings, dogs_with_masks, similar_to_reference],
                              bucket=images_bucket, name="new_pet_images")],
    resources=dc.datachain_resources(),
)
