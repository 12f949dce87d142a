"""Running a chain: compiling its query steps to one DuckDB relation, and resolving its UDF steps (input staged
to a checkpoint, run or resumed, replaced by the committed parts) so that the rest compiles too."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from ..errors import ColumnNotFoundError, DataMemoryFullError, SchemaError
from ..memory.expressions import Windows, col, fn, lit
from ..memory.schema import Schema, column_spec, schema_from_arrow, to_arrow_schema
from ..udf.checkpoint import UNIT, Checkpoint
from ..udf.code_hash import code_hash
from ..udf.runner import run_udf
from ..udf.signature import UDF
from .expr import C
from .steps import Merge, PartsSource, Source, Step, UDFStep

if TYPE_CHECKING:
    from .chain import DataChain

logger = logging.getLogger(__name__)

_scratch = threading.local()


def scratch_connection() -> duckdb.DuckDBPyConnection:
    """A per-thread in-memory DuckDB connection for schema inference and reading staged files."""
    con = getattr(_scratch, "con", None)
    if con is None:
        con = _scratch.con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
    return con


class _RealCompiler:
    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def relation(self, chain: DataChain) -> duckdb.DuckDBPyRelation:
        return relation(chain, self.con)


class _EmptyCompiler:
    """Stands in empty relations of the right schema for sub-chains: types are inferred without data."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def relation(self, chain: DataChain) -> duckdb.DuckDBPyRelation:
        return empty_relation(self.con, chain.specs)


def empty_relation(con: duckdb.DuckDBPyConnection, schema: Schema) -> duckdb.DuckDBPyRelation:
    return con.from_arrow(pa.Table.from_batches([], to_arrow_schema(schema)))


def infer_schema(step: Step, schema: Schema) -> Schema:
    """Output schema of a query step on input `schema`: apply it to an empty relation and read the types."""
    con = scratch_connection()
    try:
        rel = step.apply(empty_relation(con, schema), schema, _EmptyCompiler(con))
        arrow_schema = rel.limit(0).to_arrow_table().schema
    except duckdb.BinderException as exc:
        raise ColumnNotFoundError(f"{step.text}: {str(exc).splitlines()[0]}") from None
    except duckdb.Error as exc:
        raise SchemaError(f"{step.text}: {str(exc).splitlines()[0]}") from None
    known: Schema = {}
    for sub in step.subchains():
        known.update(sub.specs)
        if isinstance(step, Merge):
            known.update({step.rname + k: v for k, v in sub.specs.items()})
    known.update(schema)
    for name in arrow_schema.names:
        spec = column_spec(name, schema)
        if spec is not None and name not in known:
            known[name] = spec
    return schema_from_arrow(arrow_schema, known)


def relation(chain: DataChain, con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
    """The relation of a query-only (resolved) chain on `con`."""
    compiler = _RealCompiler(con)
    rel = chain._source.relation(con)
    for step, schema in chain._steps:
        if isinstance(step, UDFStep):
            raise AssertionError("UDF steps must be resolved before compiling a relation")
        rel = step.apply(rel, schema, compiler)
    return rel


@contextmanager
def executing(chain: DataChain) -> Iterator[tuple[DataChain, list[Checkpoint]]]:
    """The resolved chain, with its checkpoints held (not removable by other processes) until the block ends."""
    resolved, used = resolve(chain)
    try:
        yield resolved, used
    except BaseException as exc:
        let_go(used, exc)
        raise
    let_go(used)


def with_relation(chain: DataChain, use: Callable[[duckdb.DuckDBPyRelation], Any]) -> Any:
    """`use(relation)` of the resolved chain, on a connection to its Data Memory."""
    with executing(chain) as (resolved, _), chain._memory.connect() as con:
        return use(relation(resolved, con))


def batches(chain: DataChain) -> Iterator[pa.RecordBatch]:
    """The chain's rows as Arrow record batches (run now)."""
    with executing(chain) as (resolved, _), chain._memory.connect() as con:
        yield from relation(resolved, con).to_arrow_reader(10_000)


def resolve(chain: DataChain) -> tuple[DataChain, list[Checkpoint]]:
    """An equivalent query-only chain: every UDF step run (or resumed) and replaced by its committed parts.
    The checkpoints it used are held by this process; release them (see `executing`)."""
    source: Source = chain._source
    pairs: list[tuple[Step, Schema]] = []
    used: list[Checkpoint] = []
    try:
        for step, in_schema in chain._steps:
            if isinstance(step, UDFStep):
                prefix = chain._copy(source=source, steps=tuple(pairs), schema=in_schema)
                source, checkpoint = _run(prefix, step)
                pairs, used = [], [*used, checkpoint]
                continue
            if step.subchains():
                step, sub_used = _resolve_subchains(step)
                used.extend(sub_used)
            pairs.append((step, in_schema))
    except BaseException as exc:
        let_go(used, exc)
        raise
    return chain._copy(source=source, steps=tuple(pairs)), used


def _run(chain: DataChain, step: UDFStep) -> tuple[PartsSource, Checkpoint]:
    """Run (or resume) UDF `step` on the query-only `chain` it follows; its parts as a source."""
    udf = step.udf
    checkpoint = Checkpoint.for_step(chain._memory.staging_dir, step=digest(step_key(chain, udf), 12),
                                     input=_input_key(chain), code=code_key(chain, udf),
                                     remote=chain._memory.remote_staging)
    checkpoint.hold()
    try:
        checkpoint.pull()
        if not checkpoint.has_input():
            _prepare(chain, udf, checkpoint)
        parts = run_udf(udf, checkpoint, chain._schema, chain._settings, chain._setup)
    except BaseException as exc:
        let_go([checkpoint], exc)
        raise
    source = PartsSource(parts, step.output_schema(chain._schema), checkpoint.directory.name, chain.lineage())
    return source, checkpoint


def _prepare(chain: DataChain, udf: UDF, checkpoint: Checkpoint) -> None:
    """A new checkpoint continues an unfinished run of the same step and input whose code has since changed
    (the user fixed the UDF), else starts from the staged input."""
    previous = checkpoint.unfinished_predecessor()
    if previous is not None:
        try:
            done = checkpoint.adopt(previous)
        except OSError:  # the other checkpoint was removed meanwhile: start afresh
            logger.debug("could not continue from %s", previous.directory, exc_info=True)
        else:
            logger.info("UDF '%s': code changed since an unfinished run (%s -> %s); its %s finished units are "
                        "kept and the rest runs with the current code",
                        udf.name, previous.code_key, checkpoint.code_key, done)
            return
    _stage_input(chain, checkpoint, udf.partition_by, one_group=udf.kind == "agg")


def _input_key(chain: DataChain) -> str:
    """The rows a UDF step reads, and whether failing rows stop the run or are left out."""
    return digest(f"{chain.fingerprint()}|on_error={chain._settings.on_error}", 20)


def step_key(chain: DataChain, udf: UDF) -> str:
    """The UDF step's parameters: kind, inputs, outputs, setup names, partition_by, and batch_map's batching."""
    batching = chain._settings.batch_size if udf.kind == "batch_map" else None
    return f"{udf.signature_key}|batch={batching}"


def code_key(chain: DataChain, udf: UDF) -> str:
    """The UDF's code with everything it sees, and the code of the setup objects it takes."""
    setup = [(name, code_hash(chain._setup[name])) for name in udf.setup_args if name in chain._setup]
    return digest(f"{udf.code_hash}|{setup}", 16)


def _stage_input(chain: DataChain, checkpoint: Checkpoint, partition_by: tuple[str, ...], *,
                 one_group: bool) -> None:
    """Write the (query-only) chain's rows to the checkpoint's input file, each numbered by `_dc_unit`: its
    row, its `partition_by` group, or 0 for all (`one_group`: agg without partition_by sees every row)."""
    path = checkpoint.staging_input_path()
    with chain._memory.connect() as con:
        rel = relation(chain, con)
        numbering = Windows()
        if partition_by:
            keys = [(C(k).build(chain._schema), False) for k in partition_by]
            unit = (numbering.over("dense_rank", order_by=keys) - lit(1)).alias(UNIT)
            rel = numbering.select(rel, unit).sort(col(UNIT))
        elif one_group:
            rel = rel.select("*", lit(0).cast("BIGINT").alias(UNIT))
        else:
            rel = numbering.select(rel, (numbering.over("row_number") - lit(1)).alias(UNIT))
        rel.write_parquet(str(path))
    counted = scratch_connection().read_parquet(str(path)).aggregate([fn("max", col(UNIT))]).fetchall()
    units = 0 if counted[0][0] is None else int(counted[0][0]) + 1
    checkpoint.seal_input(path, units)


def let_go(checkpoints: Sequence[Checkpoint], error: BaseException | None = None) -> None:
    """Release held checkpoints; after a full disk delete them, so the failed run leaves no staging behind."""
    for checkpoint in checkpoints:
        if isinstance(error, DataMemoryFullError):
            checkpoint.try_remove()
        else:
            checkpoint.release()


def digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def _resolve_subchains(step: Step) -> tuple[Step, list[Checkpoint]]:
    field_name = "right" if isinstance(step, Merge) else "other"
    resolved, used = resolve(getattr(step, field_name))
    return dataclasses.replace(step, **{field_name: resolved}), used  # type: ignore[type-var]
