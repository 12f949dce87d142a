"""`read_hf`: a Hugging Face `datasets` dataset as a chain (DataChain's reader). Works offline on a dataset object
(`Dataset`, `DatasetDict`, their iterable forms) or on what `datasets.load_dataset(...)` loads from local files;
a name on the Hub is loaded by `datasets` itself, which needs the network.

Column names are lower-cased, runs of other characters become `_`, and a name that is still not an identifier or
repeats one gets a `c<n>_` prefix. Features become: values and lists their Python types, `ClassLabel` an
`HFClassLabel` (`string`, `integer`), `Image` an `HFImage` (encoded bytes; `read()` gives the PIL image), nested
features a model, `Array2D`..`Array5D` nested lists. With several splits a `split` column comes first.
"""

from __future__ import annotations

import importlib
import io
import re
from collections.abc import Iterable
from typing import Any

import pyarrow as pa
from pydantic import BaseModel, create_model

from ..memory.schema import python_type, schema_from_arrow
from .chain import DataChain
from .readers import read_records


class HFClassLabel(BaseModel):
    """A class label: its name and its number."""

    string: str
    integer: int

    def read(self) -> int:
        return self.integer


class HFImage(BaseModel):
    """An image feature as its encoded bytes."""

    img: bytes

    def read(self) -> Any:
        from PIL import Image

        return Image.open(io.BytesIO(self.img))


def _datasets() -> Any:
    try:
        return importlib.import_module("datasets")
    except ImportError as exc:
        raise ImportError("read_hf needs the 'datasets' package: pip install 'dagster_datachain[hf]'") from exc


def read_hf(dataset: Any, *args: Any, session: Any = None, settings: dict[str, Any] | None = None, column: str = "",
            model_name: str = "", limit: int = 0, **kwargs: Any) -> DataChain:
    """A chain of the dataset's rows (`limit` rows per split when > 0); `args`/`kwargs` go to
    `datasets.load_dataset` when `dataset` is a name or a builder (`"csv"`, `data_files=...`). `column` nests all
    columns under one model column. `session` and `settings` are accepted for DataChain's signature.

    Example:
        >>> read_hf(Dataset.from_dict({"text": ["a", "b"]})).to_values("text")
        ['a', 'b']
    """
    datasets = _datasets()
    if isinstance(dataset, str):
        dataset = datasets.load_dataset(dataset, *args, **kwargs)
    splits = dict(dataset) if isinstance(dataset, datasets.DatasetDict | datasets.IterableDatasetDict) \
        else {"": dataset}  # fmt: skip
    features = next(iter(splits.values())).features
    prefix = ["split"] if len(splits) > 1 else []
    names = dict(zip(features, _normalized([*prefix, *features])[len(prefix):], strict=True))
    schema: dict[str, Any] = dict.fromkeys(prefix, str)
    schema |= {names[name]: _chain_type(datasets, name, feature) for name, feature in features.items()}
    records = []
    for split, rows in splits.items():
        for row in rows.take(limit) if limit > 0 else rows:
            record = {names[name]: _value(datasets, row[name], feature, schema[names[name]])
                      for name, feature in features.items()}
            records.append({"split": split, **record} if prefix else record)
    return read_records(records, schema=schema, column=column)


def _normalized(names: Iterable[str]) -> list[str]:
    """DataChain's column names: lower case, `_` for other characters, a `c<n>_` prefix to make them unique."""
    originals, result, counter = set(names), [], 0
    for original in names:
        base = re.sub("[^0-9a-z]+", "_", original.lower()).strip("_")
        name = base
        while not name.isidentifier() or name in result or (name != original and name in originals):
            name = f"c{counter}_{base}" if base else f"c{counter}"
            counter += 1
        result.append(name)
    return result


def _chain_type(datasets: Any, name: str, feature: Any) -> Any:
    if isinstance(feature, datasets.ClassLabel):
        return HFClassLabel
    if isinstance(feature, datasets.Image):
        return HFImage
    if isinstance(feature, dict):
        fields = {key: (_chain_type(datasets, key, value), None) for key, value in feature.items()}
        return create_model(f"HFDataModel_{name}", **fields)  # type: ignore[call-overload]
    if isinstance(feature, datasets.List) and isinstance(feature.feature, dict | datasets.ClassLabel | datasets.Image):
        return list[_chain_type(datasets, name, feature.feature)]  # type: ignore[misc]
    if isinstance(feature, datasets.Array2D | datasets.Array3D | datasets.Array4D | datasets.Array5D):
        nested = _chain_type(datasets, name, datasets.Value(feature.dtype))
        for _ in feature.shape:
            nested = list[nested]  # type: ignore[valid-type]
        return nested
    try:
        arrow_type = datasets.Features({name: feature}).arrow_schema.field(name).type
    except Exception as exc:  # noqa: BLE001 - a feature kind this reader does not know
        raise TypeError(f"Unknown huggingface datasets type {type(feature)}") from exc
    spec = schema_from_arrow(pa.schema([pa.field(name, arrow_type)]))[name]
    return python_type(spec.model_copy(update={"nullable": False}))


def _value(datasets: Any, value: Any, feature: Any, annotation: Any) -> Any:
    if value is None:
        return None
    if isinstance(feature, datasets.ClassLabel):
        return HFClassLabel(string=feature.names[value], integer=value)
    if isinstance(feature, datasets.Image):
        from datasets.features.image import image_to_bytes

        return HFImage(img=value["bytes"] if isinstance(value, dict) else image_to_bytes(value))
    if isinstance(feature, dict):
        return annotation(**{key: _value(datasets, value[key], sub, annotation.model_fields[key].annotation)
                             for key, sub in feature.items()})
    if isinstance(feature, datasets.List) and isinstance(feature.feature, dict | datasets.ClassLabel | datasets.Image):
        (item,) = annotation.__args__
        return [_value(datasets, v, feature.feature, item) for v in value]
    return value
