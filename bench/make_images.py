"""Generate a deterministic set of JPEG images for the benchmark.

Images land in ``bench/data/images/<breed>/<breed>_<i>.jpg`` with sizes between
64 and 512 px on each side and seeded random colours, so every run (and every
machine) produces the same files. Existing files are left alone, which makes
the script idempotent and cheap to re-run.

Usage: ``python bench/make_images.py [--n 10000] [--out bench/data/images]``
"""

import argparse
import random
from pathlib import Path

from PIL import Image, ImageDraw

BREEDS: tuple[str, ...] = (
    "abyssinian",
    "beagle",
    "cocker_spaniel",
    "great_pyrenees",
    "pug",
    "samoyed",
    "shiba_inu",
    "sphynx",
)
DEFAULT_DIR = Path(__file__).resolve().parent / "data" / "images"
SEED = 20240601


def image_path(root: Path, i: int) -> Path:
    """Return the path of image number ``i`` (breeds are assigned round-robin)."""
    breed = BREEDS[i % len(BREEDS)]
    return root / breed / f"{breed}_{i}.jpg"


def draw_image(rng: random.Random) -> Image.Image:
    """Draw one image: a coloured background with a few coloured shapes."""
    width, height = rng.randint(64, 512), rng.randint(64, 512)

    def colour() -> tuple[int, int, int]:
        return (rng.randrange(256), rng.randrange(256), rng.randrange(256))

    img = Image.new("RGB", (width, height), colour())
    draw = ImageDraw.Draw(img)
    for _ in range(rng.randint(1, 4)):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        x1, y1 = rng.randint(x0, width), rng.randint(y0, height)
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x0, y0, x1, y1), fill=colour())
    return img


def make_images(n: int, root: Path = DEFAULT_DIR) -> int:
    """Create images ``0..n-1`` under ``root``; return how many were written.

    Each image draws from its own ``Random(SEED + i)``, so skipping existing
    files never changes the content of the ones that are generated.
    """
    written = 0
    for i in range(n):
        path = image_path(root, i)
        if path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        draw_image(random.Random(SEED + i)).save(tmp, format="JPEG", quality=85)
        tmp.replace(path)  # atomic: an interrupted run leaves no half-written jpg
        written += 1
    return written


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="number of images")
    parser.add_argument("--out", type=Path, default=DEFAULT_DIR, help="target dir")
    args = parser.parse_args()
    written = make_images(args.n, args.out)
    print(f"{args.out}: {written} written, {args.n - written} already present")


if __name__ == "__main__":
    main()
