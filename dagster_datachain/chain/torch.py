"""`chain.to_pytorch()`: a chain as a PyTorch `IterableDataset`, split between DataLoader workers (and ranks of a
distributed run) so that each row is read once per epoch.

Each row is a list of its column values; a File value is read (`read()`: bytes, text, a PIL image), a PIL image
goes through `transform` (default: a float32 CxHxW tensor scaled to 0..1), and text goes through `tokenizer`.
PyTorch is an optional package: `pip install 'dagster_datachain[torch]'`.

Example:
    >>> from torch.utils.data import DataLoader
    >>> loader = DataLoader(chain.select("file", "label").to_pytorch(), batch_size=16)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

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
    """The chain (run once now, so workers reuse its UDF results) as a `torch.utils.data.IterableDataset`."""
    torch = _torch()

    class PytorchDataset(torch.utils.data.IterableDataset):  # type: ignore[name-defined]
        """The rows of a chain, as lists of values, each worker and rank reading its own part."""

        def __init__(self) -> None:
            self.chain = chain.persist()
            self.transform: Callable[[Any], Any] | None = transform or _to_tensor
            self.tokenizer = tokenizer
            self.tokenizer_kwargs = tokenizer_kwargs or {}
            self.num_samples = num_samples

        def __iter__(self) -> Iterator[list[Any]]:
            rank, total = _rank_and_total(torch)
            rows = self.chain.sample(self.num_samples) if self.num_samples > 0 else self.chain
            for values in rows.chunk(rank, total).to_iter():
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
