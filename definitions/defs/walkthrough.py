"""The reference README's walkthrough as Dagster assets.

    bucket/folder/oxford_pets_micro/images ──> pets_images ──> pets_embeddings ──┐
    bucket/folder/.../annotations ──> pet_breeds, pet_masks (YAML) ──────────────┴─> dogs_with_masks
                                                                                      └─> similar_to_reference

Data: see definitions/paths.py. Data Memory: `$DATACHAIN_ROOT_DIR` or `.datachain/`. `pet_masks` and the
annotations bucket are YAML components (defs/pet_masks, defs/annotations_bucket).
"""

from __future__ import annotations

import dagster as dg
from PIL import Image

import dagster_datachain as dc
from definitions.colour_model import create_model_and_transforms
from definitions.paths import ANNOTATIONS, ANNOTATIONS_KEY, IMAGES, REFERENCE_IMAGE
from definitions.udfs import encode, get_info, parse_breeds

images_bucket = dc.bucket_asset(IMAGES, description="Pet photos (stand-in for s3://dc-readme/oxford-pets-micro/images)")


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


@dc.dataset_asset(deps=[dg.AssetKey.from_user_string(ANNOTATIONS_KEY)])
def pet_breeds() -> dc.DataChain:
    """Breed and species of every image, from the annotation list."""
    return dc.read_storage(f"{ANNOTATIONS}list.txt", type="text").gen(breed=parse_breeds)


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
walkthrough_daily = dg.ScheduleDefinition(name="walkthrough_daily", job=walkthrough, cron_schedule="0 4 * * *")
new_pet_images = dc.bucket_sensor(IMAGES, target=[pets_images, pets_embeddings, dogs_with_masks, similar_to_reference],
                                  bucket=images_bucket, name="new_pet_images")
