"""One transfer on PostgreSQL in one round trip, through libpq itself.

psycopg's Python layer (query conversion, the prepare manager, its generator-driven wait) cost about a third of a
transfer's client time, measured on the single-transfer benchmark where eight clients share two cores with the
server. The hot path therefore prepares ``ledger_transfer(…)`` once per connection and runs it with libpq's own
``PQexecPrepared`` (``psycopg.pq``, psycopg's public libpq wrapper), values sent as text. Only for the plain case:
Django in autocommit at the top level and nothing watching queries; everything else goes through psycopg."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import psycopg
from django.db.backends.base.base import BaseDatabaseWrapper
from psycopg import errors as pg_errors
from psycopg import pq

from .. import sql

STATEMENT = b"ostrom_ledger_transfer"
QUERY = sql.POSTGRES_CALL_PREPARED.encode()
NO_SUCH_STATEMENT = "26000"  # e.g. after a pooler reset the session


def call(db: BaseDatabaseWrapper, params: tuple) -> tuple[int, int, int]:
    """Run the transfer function with ``params`` (in sql.POSTGRES_CALL's order) on ``db``'s connection."""
    connection: psycopg.Connection = db.connection
    values = [_text(value) for value in params]
    if getattr(db, "_ledger_prepared_on", None) is not connection:
        _prepare(connection)
        db._ledger_prepared_on = connection
    result = connection.pgconn.exec_prepared(STATEMENT, values)
    if result.status != pq.ExecStatus.TUPLES_OK and _sqlstate(result) == NO_SUCH_STATEMENT:
        _prepare(connection)
        result = connection.pgconn.exec_prepared(STATEMENT, values)
    if result.status != pq.ExecStatus.TUPLES_OK:
        raise _error(result, connection)
    return int(result.get_value(0, 0)), int(result.get_value(0, 1)), int(result.get_value(0, 2))


def _prepare(connection: psycopg.Connection) -> None:
    result = connection.pgconn.prepare(STATEMENT, QUERY)
    if result.status != pq.ExecStatus.COMMAND_OK:
        raise _error(result, connection)


def _text(value: Any) -> bytes | None:
    """A parameter in PostgreSQL's text form: the function's signature gives each its type."""
    kind = type(value)
    if kind is int:  # most of them: ids and the amount
        return b"%d" % value
    if kind is str:
        return value.encode()
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("Ledger times must be aware (USE_TZ).")
        return value.isoformat().encode()
    if isinstance(value, uuid.UUID):
        return str(value).encode()
    if isinstance(value, str):  # e.g. a TransferKind member
        return value.encode()
    raise TypeError(f"No text form for {kind.__name__} in a transfer.")


def _sqlstate(result: pq.abc.PGresult) -> str:
    return (result.error_field(pq.DiagnosticField.SQLSTATE) or b"").decode()


def _error(result: pq.abc.PGresult, connection: psycopg.Connection) -> psycopg.Error:
    """The error psycopg itself would raise for this result (with its diag: constraint name, SQLSTATE), so Django
    wraps it as usual and the engine reads which constraint refused the transfer."""
    encoding = connection.info.encoding
    message = (result.error_message or b"").decode(encoding, "replace").strip() or "The database refused the transfer."
    error_class = pg_errors.lookup(_sqlstate(result)) if _sqlstate(result) else psycopg.OperationalError
    return error_class(message, info=result, encoding=encoding)
