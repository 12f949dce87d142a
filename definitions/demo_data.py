"""Generate a small, offline stand-in for the reference's oxford-pets-micro bucket, plus fiona.jpg.

oxford-pets-micro/images/<breed>_<n>.jpg   photos-to-be (noisy colour fields, each breed its own palette)
oxford-pets-micro/annotations/list.txt     "<image> <class_id> <species> <breed_id>" per image, like Oxford Pets
oxford-pets-micro/annotations/trimaps/     a PNG mask for most images (some have none)
fiona.jpg                                  the reference dog: tan, like the shiba inus
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import numpy as np
from PIL import Image

BREEDS = {  # name: (species 1=cat 2=dog, base RGB)
    "Abyssinian": (1, (150, 110, 80)),
    "Bengal": (1, (190, 150, 90)),
    "shiba_inu": (2, (205, 140, 80)),
    "great_pyrenees": (2, (230, 225, 215)),
    "english_cocker_spaniel": (2, (120, 70, 40)),
    "beagle": (2, (170, 120, 60)),
    "pug": (2, (200, 180, 150)),
}
SIZES = [(300, 225), (375, 500), (461, 500), (500, 375), (600, 234), (600, 869), (640, 480), (800, 600)]


def photo(rgb: tuple[int, int, int], size: tuple[int, int], rng: np.random.Generator) -> Image.Image:
    width, height = size
    noise = rng.normal(0, 25, (height, width, 3))
    return Image.fromarray(np.clip(np.array(rgb) + noise, 0, 255).astype("uint8"))


def ensure(root: Path, per_breed: int = 8) -> Path:
    """Generate the data under `root` unless it is already there; returns `root`."""
    if not (root / "annotations" / "list.txt").exists():
        main(root, per_breed)
    return root


def main(root: Path, per_breed: int = 8) -> None:
    rng = np.random.default_rng(7)
    pick = random.Random(7)
    images, trimaps = root / "images", root / "annotations" / "trimaps"
    images.mkdir(parents=True, exist_ok=True)
    trimaps.mkdir(parents=True, exist_ok=True)
    lines = []
    for breed_id, (breed, (species, rgb)) in enumerate(BREEDS.items(), start=1):
        for n in range(1, per_breed + 1):
            name = f"{breed}_{n}"
            photo(rgb, pick.choice(SIZES), rng).save(images / f"{name}.jpg", quality=85)
            lines.append(f"{name} {breed_id} {species} {n}")
            if n % 4:  # every fourth image has no mask
                Image.new("L", (64, 64), 2).save(trimaps / f"{name}.png")
    (root / "annotations" / "list.txt").write_text("\n".join(lines) + "\n")
    photo((210, 145, 85), (500, 400), rng).save(root.parent / "fiona.jpg", quality=90)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "oxford-pets-micro"))
