"""`dc.func`: functions that run inside DuckDB, vectorized, over chain columns; the names and behaviour of
DataChain's `datachain.func` (see docs/compatibility-func.md). Strings name columns unless said otherwise.

Example:
    >>> from dagster_datachain import C, func
    >>> dist = func.cosine_distance(C("emb"), [0.1, 0.2, 0.3])
    >>> w = func.window(partition_by="city", order_by="age")
    >>> chain.mutate(n=func.row_number().over(w))
"""

from __future__ import annotations

from . import aggregate, array, conditional, numeric, path, random, string
from .aggregate import (
    any_value,
    avg,
    collect,
    concat,
    count,
    dense_rank,
    first,
    max,
    min,
    rank,
    row_number,
    sum,
    xor_agg,
)  # fmt: skip
from .array import contains, cosine_distance, euclidean_distance, length, sip_hash_64
from .conditional import and_, case, greatest, ifelse, isnone, least, not_, or_
from .conversion import cast, literal
from .numeric import bit_and, bit_hamming_distance, bit_or, bit_xor, int_hash_64
from .path import file_ext, file_stem, name, parent
from .random import rand
from .string import byte_hamming_distance, string_hash
from .window import window

__all__ = [
    "aggregate", "and_", "any_value", "array", "avg", "bit_and", "bit_hamming_distance", "bit_or", "bit_xor",
    "byte_hamming_distance", "case", "cast", "collect", "concat", "conditional", "contains", "cosine_distance",
    "count", "dense_rank", "euclidean_distance", "file_ext", "file_stem", "first", "greatest", "ifelse",
    "int_hash_64", "isnone", "least", "length", "literal", "max", "min", "name", "not_", "numeric", "or_",
    "parent", "path", "rand", "random", "rank", "row_number", "sip_hash_64", "string", "string_hash", "sum",
    "window", "xor_agg",
]  # fmt: skip
