"""Column buffers that decoders fill row by row and turn into one Arrow batch.

Maps are kept flat (all keys, all values, one offset per row) so a record costs a few list
appends and no per-record dict; Arrow then builds each column in C.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa
from opentelemetry.proto.common.v1.common_pb2 import KeyValue

from otelhouse.ingest.values import render_into
from otelhouse.store.schema import ATTRS, Table, arrow_schema


class MapColumn:
    """`Map(String, String)` rows as flat keys and values plus row offsets."""

    __slots__ = ("keys", "offsets", "values")

    def __init__(self) -> None:
        self.offsets: list[int] = [0]
        self.keys: list[str] = []
        self.values: list[str] = []

    def add(self, keys: list[str], values: list[str]) -> None:
        self.keys.extend(keys)
        self.values.extend(values)
        self.offsets.append(len(self.keys))

    def add_kvs(self, kvs: Iterable[KeyValue]) -> None:
        render_into(kvs, self.keys, self.values)
        self.offsets.append(len(self.keys))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def to_arrow(self) -> pa.Array:
        return pa.MapArray.from_arrays(
            pa.array(self.offsets, pa.int32()),
            pa.array(self.keys, pa.string()),
            pa.array(self.values, pa.string()),
        )


class ListColumn:
    """`Array(T)` rows: items appended one by one, `end_row()` closes a row."""

    __slots__ = ("items", "offsets")

    def __init__(self, item_type: str) -> None:
        self.offsets: list[int] = [0]
        self.items: list[object] | MapColumn = MapColumn() if item_type == ATTRS else []

    def end_row(self) -> None:
        self.offsets.append(len(self.items))

    def extend_row(self, values: Iterable[object]) -> None:
        items = self.items
        assert isinstance(items, list)
        items.extend(values)
        self.offsets.append(len(items))

    def extend_maps(self, attribute_lists: Iterable[Iterable[KeyValue]]) -> None:
        """One row of `Array(Map(String, String))`: a map per attribute list."""
        items = self.items
        assert isinstance(items, MapColumn)
        for kvs in attribute_lists:
            items.add_kvs(kvs)
        self.end_row()

    def to_arrow(self, list_type: pa.ListType) -> pa.Array:
        if isinstance(self.items, MapColumn):
            values = self.items.to_arrow()
        else:
            values = pa.array(self.items, list_type.value_type)
        return pa.ListArray.from_arrays(pa.array(self.offsets, pa.int32()), values)


Buffer = list[object] | MapColumn | ListColumn


class Level:
    """Columns whose rows repeat the values of an enclosing level (a resource or a scope).

    Each distinct value is converted once; rows only append the level's number, and Arrow
    repeats the values with `take`. A record then costs one int append for all of them.
    """

    __slots__ = ("buffers", "index")

    def __init__(self, buffers: dict[str, Buffer]) -> None:
        self.buffers = buffers
        self.index: list[int] = []

    def add(self, *values: object) -> int:
        """Add one distinct level (values in the columns' order); returns its number."""
        for buffer, value in zip(self.buffers.values(), values, strict=True):
            if isinstance(buffer, MapColumn):
                pair: tuple[list[str], list[str]] = value  # type: ignore[assignment]
                buffer.add(*pair)
            else:
                assert isinstance(buffer, list)
                buffer.append(value)
        first = next(iter(self.buffers.values()))
        assert not isinstance(first, ListColumn), "levels hold scalars and maps"
        return len(first) - 1


class TableRows:
    """All rows decoded for one table from one request."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.schema = arrow_schema(table)
        self.columns: dict[str, Buffer] = {c.name: _buffer_for(c.type) for c in table.insert_columns}
        self.levels: dict[str, Level] = {}

    def level(self, *names: str) -> Level:
        """Move these columns to a shared level (see `Level`)."""
        level = Level({name: self.columns.pop(name) for name in names})
        for name in names:
            self.levels[name] = level
        return level

    def scalar(self, name: str) -> list[object]:
        buffer = self.columns[name]
        assert isinstance(buffer, list)
        return buffer

    def map(self, name: str) -> MapColumn:
        buffer = self.columns[name]
        assert isinstance(buffer, MapColumn)
        return buffer

    def list(self, name: str) -> ListColumn:
        buffer = self.columns[name]
        assert isinstance(buffer, ListColumn)
        return buffer

    def __len__(self) -> int:
        first = next(iter(self.columns.values()))
        return len(first) if not isinstance(first, ListColumn) else len(first.offsets) - 1

    def to_arrow(self) -> pa.RecordBatch:
        arrays = []
        indexes: dict[int, pa.Array] = {}
        for field in self.schema:
            level = self.levels.get(field.name)
            if level is None:
                arrays.append(_array(self.columns[field.name], field.type))
                continue
            if id(level) not in indexes:
                indexes[id(level)] = pa.array(level.index, pa.int32())
            arrays.append(_array(level.buffers[field.name], field.type).take(indexes[id(level)]))
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)


def _array(buffer: Buffer, arrow_type: pa.DataType) -> pa.Array:
    if isinstance(buffer, MapColumn):
        return buffer.to_arrow()
    if isinstance(buffer, ListColumn):
        return buffer.to_arrow(arrow_type)
    return pa.array(buffer, arrow_type)


def _buffer_for(ch_type: str) -> Buffer:
    if ch_type == ATTRS:
        return MapColumn()
    if ch_type.startswith("Array("):
        return ListColumn(ch_type[6:-1])
    return []
