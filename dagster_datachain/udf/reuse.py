"""Reusing a UDF's results per input: each committed unit (row, group) is keyed by a hash of the values the UDF
read, so a run over a changed input (one file fixed, a few files added) recomputes only the units whose inputs
changed, taking the rest from the parts of earlier runs of the same step and code."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from .checkpoint import UNIT, Checkpoint

Span = tuple[int, int]  # rows [i, j) of a batch that form one unit


def unit_keys(kind: str, columns: Sequence[list[Any]], spans: Sequence[Span]) -> list[str | None]:
    """The key of each unit: a digest of the raw values it passes to the UDF (None when it reads no column).
    A batch_map unit's result may depend on its whole batch, so its key covers the batch and its position."""
    if not columns:
        return [None] * len(spans)

    def digest(*parts: object) -> str:
        return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]

    if kind == "batch_map":
        whole = digest(*(tuple(c) for c in columns))
        return [digest(whole, n) for n in range(len(spans))]
    return [digest(*(tuple(c[i:j]) for c in columns)) for i, j in spans]


class Memo:
    """Outputs of units committed by earlier runs of the same step and code, found by unit key."""

    def __init__(self, checkpoints: Sequence[Checkpoint], outputs: Sequence[str]) -> None:
        self.outputs = list(outputs)
        self.index: dict[str, tuple[Path, int]] = {}
        for checkpoint in checkpoints:
            for path in checkpoint.part_paths():
                try:
                    done = Checkpoint.part_units(path)
                except OSError:  # removed meanwhile
                    continue
                self.index.update((key, (path, unit)) for unit, key in done)

    def __bool__(self) -> bool:
        return bool(self.index)

    def lookup(self, keys: Sequence[str | None]) -> dict[int, list[dict[str, Any]]]:
        """For each position of `keys` found, the output rows its unit produced (storable values)."""
        wanted: dict[Path, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
        for position, key in enumerate(keys):
            if key is not None and key in self.index:
                path, unit = self.index[key]
                wanted[path][unit].append(position)
        found: dict[int, list[dict[str, Any]]] = {}
        for path, units in wanted.items():
            try:
                table = pq.read_table(path, columns=[*self.outputs, UNIT], filters=[(UNIT, "in", list(units))])
            except OSError:  # removed meanwhile: those units are computed again
                continue
            rows: dict[int, list[dict[str, Any]]] = defaultdict(list)
            for row in table.to_pylist():
                rows[row.pop(UNIT)].append(row)
            for unit, positions in units.items():
                for position in positions:
                    found[position] = rows.get(unit, [])
        return found
