"""Big PostgreSQL arrays packed in one go, for the batch path's parameters.

psycopg dumps a list element by element in Python (a dumper looked up and called for each of ten thousand ids),
which cost about a tenth of a 10,000-line levy. These wrappers say "a bigint[]" or "a text[]" up front, so the
whole array is packed by ``struct`` at once in PostgreSQL's binary array format: a header (dimensions, a null
flag, the element type, the length, the lower bound 1), then each element as its length and its bytes (length -1
for NULL). They are lists, so where a query goes as text (Django's cursor, when something watches the queries)
psycopg's own list dumper takes them as before."""

from __future__ import annotations

import struct
from itertools import chain, repeat

import psycopg
from psycopg.adapt import Dumper
from psycopg.pq import Format

INT8_OID, INT8_ARRAY_OID = 20, 1016
TEXT_OID, TEXT_ARRAY_OID = 25, 1009
_NULL = struct.pack(">i", -1)


class Int8Array(list):
    """A list of ints (or None) sent as one bigint[]."""


class TextArray(list):
    """A list of str sent as one text[]."""


def _header(element_oid: int, length: int, has_null: bool) -> bytes:
    return struct.pack(">iiiii", 1, int(has_null), element_oid, length, 1)


class Int8ArrayDumper(Dumper):
    format = Format.BINARY
    oid = INT8_ARRAY_OID

    def dump(self, obj: list) -> bytes:
        if None not in obj:
            body = struct.pack(">" + "iq" * len(obj), *chain.from_iterable(zip(repeat(8), obj)))
            return _header(INT8_OID, len(obj), False) + body
        element = struct.Struct(">iq").pack
        return _header(INT8_OID, len(obj), True) + b"".join(_NULL if v is None else element(8, v) for v in obj)


class TextArrayDumper(Dumper):
    format = Format.BINARY
    oid = TEXT_ARRAY_OID

    def dump(self, obj: list) -> bytes:
        packed: dict[str, bytes] = {}  # a batch's memos and categories are mostly the same few strings

        def element(text: str) -> bytes:
            found = packed.get(text)
            if found is None:
                encoded = text.encode()
                found = packed[text] = struct.pack(">i", len(encoded)) + encoded
            return found

        return _header(TEXT_OID, len(obj), False) + b"".join(map(element, obj))


psycopg.adapters.register_dumper(Int8Array, Int8ArrayDumper)
psycopg.adapters.register_dumper(TextArray, TextArrayDumper)
