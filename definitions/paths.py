"""Where the demo's data lives: a generated stand-in for the oxford-pets-micro bucket under `$DC_DEMO_ROOT`
(default `.demo/` in the repository), made on first import with no network. Also the template variables
that the YAML components under defs/ use (`{{ annotations_uri }}`)."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from definitions import demo_data

DEMO_ROOT = Path(os.environ.get("DC_DEMO_ROOT", Path(__file__).resolve().parent.parent / ".demo"))
PETS = demo_data.ensure(DEMO_ROOT / "oxford-pets-micro")
REFERENCE_IMAGE = DEMO_ROOT / "fiona.jpg"
IMAGES = f"{PETS}/images/"
ANNOTATIONS = f"{PETS}/annotations/"
ANNOTATIONS_KEY = "bucket/file/oxford_pets_micro/annotations"  # the annotations bucket asset (a YAML component)


@dg.template_var
def annotations_uri() -> str:
    """The folder of the breed list and trimap masks."""
    return ANNOTATIONS


@dg.template_var
def annotations_key() -> str:
    """The asset key of the annotations bucket."""
    return ANNOTATIONS_KEY
