"""`chain.to_pytorch()`: a chain as a PyTorch `IterableDataset`, split between DataLoader workers (and ranks of a
distributed run) so that each row is read once per epoch.

The chain runs once, in the calling process, and its rows are kept there as an Arrow table (file pointers and
values, not file contents): DataLoader workers are forked, and a forked process cannot use the parent's DuckDB.

Each row is a list of its column values; a File value is read (`read()`: bytes, text, a PIL image), a PIL image
goes through `transform` (default: a float32 CxHxW tensor scaled to 0..1), and text goes through `tokenizer`.
PyTorch is an optional package: `pip install 'dagster_datachain[torch]'`.

Example:
    >>> from torch.utils.data import DataLoader
    >>> loader = DataLoader(chain.select("file", "label").to_pytorch(), batch_size=16)
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from ..memory.schema import ValueBuilder

if TYPE_CHECKING:
    from .chain import DataChain

logger = logging.getLogger(__name__)


def _torch() -> Any:
    try:
        import torch
    except ImportError as exc:
        raise ImportError("to_pytorch needs the 'torch' package: pip install 'dagster_datachain[torch]'") from exc
    return torch


def pytorch_dataset(chain: DataChain, transform: Callable[[Any], Any] | None, tokenizer: Callable[..., Any] | None,
                    tokenizer_kwargs: dict[str, Any] | None, num_samples: int) -> Any:
    """The chain's rows (computed now) as a `torch.utils.data.IterableDataset`."""
    torch = _torch()

    class PytorchDataset(torch.utils.data.IterableDataset):  # type: ignore[name-defined]
        """The rows of a chain, as lists of values, each worker and rank reading its own part."""

        def __init__(self) -> None:
            self.table = chain.to_pyarrow()
            self.builders = [ValueBuilder(spec) for spec in chain.specs.values()]
            self.transform: Callable[[Any], Any] | None = transform or _to_tensor
            self.tokenizer = tokenizer
            self.tokenizer_kwargs = tokenizer_kwargs or {}
            self.num_samples = num_samples

        def __iter__(self) -> Iterator[list[Any]]:
            rank, total = _rank_and_total(torch)
            count = self.table.num_rows
            indices = random.sample(range(count), min(self.num_samples, count)) if self.num_samples > 0 \
                else range(count)  # fmt: skip
            mine = [i for n, i in enumerate(indices) if n % total == rank]
            for start in range(0, len(mine), 1_000):
                part = self.table.take(mine[start : start + 1_000])
                columns = [[build(v) for v in part.column(c).to_pylist()] for c, build in enumerate(self.builders)]
                for values in zip(*columns, strict=True):
                    yield self._row(values)

        def _row(self, values: tuple[Any, ...]) -> list[Any]:
            row = [value.read() if callable(getattr(value, "read", None)) else value for value in values]
            if self.transform is not None:
                try:
                    row = [self.transform(v) if _is_image(v) else v for v in row]
                except ValueError:
                    logger.warning("Skipping transform due to unsupported data types.")
                    self.transform = None
            if self.tokenizer is not None:
                row = [self._tokens(v) if _is_text(v) else v for v in row]
            return row

        def _tokens(self, text: str | list[str]) -> Any:
            encoded = self.tokenizer([text] if isinstance(text, str) else text,  # type: ignore[misc]
                                     **self.tokenizer_kwargs)
            ids = encoded.input_ids if hasattr(encoded, "input_ids") else encoded
            return torch.as_tensor(ids).clone().detach().squeeze(0)

    return PytorchDataset()


def _rank_and_total(torch: Any) -> tuple[int, int]:
    """This reader's index and the number of readers: DataLoader workers times distributed ranks."""
    distributed = torch.distributed
    if distributed.is_available() and distributed.is_initialized():
        rank, world = distributed.get_rank(), distributed.get_world_size()
    else:
        rank, world = 0, 1
    worker = torch.utils.data.get_worker_info()
    worker_id, workers = (worker.id, worker.num_workers) if worker is not None else (0, 1)
    return rank * workers + worker_id, world * workers


def _to_tensor(image: Any) -> Any:
    """A PIL image as a float32 tensor of shape (channels, height, width) with values in 0..1."""
    import numpy as np

    torch = _torch()
    array = np.asarray(image)
    if array.ndim == 2:
        array = array[:, :, None]
    scale = float(np.iinfo(array.dtype).max) if np.issubdtype(array.dtype, np.integer) else 1.0
    return torch.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1))).to(torch.float32) / scale


def _is_image(value: Any) -> bool:
    try:
        from PIL import Image
    except ImportError:
        return False
    return isinstance(value, Image.Image)


def _is_text(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, list) and bool(value) and isinstance(value[0], str))
