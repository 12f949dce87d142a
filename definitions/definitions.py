"""The demo project's entry point: everything under defs/ (Python modules and YAML components).

`dg dev` / `dg launch --job walkthrough` from the repository root, or `dagster dev -w workspace.yaml`.
"""

from pathlib import Path

import dagster as dg

defs = dg.load_from_defs_folder(project_root=Path(__file__).resolve().parent.parent)
