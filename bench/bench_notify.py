"""Outbox benchmark (issue 5), against a reference measured on the same machine in the same run.

- notify.outbox.drain: texts per second that two worker processes, each with its own Django and connection,
  drain through ``notify.actions.outbox.drain`` to the file adapter (SMS_BACKEND=file), as a ratio to plain SQL
  doing the database part of the same job with psycopg: inserting the same rows into a scratch table shaped like
  notify_message (one multi-row transaction, as actions write them) and then updating each row to "delivered" in
  its own statement (as a worker records each send). Ours and the reference take turns, ROUNDS times.

PostgreSQL is found as in bench_ledger (BENCH_POSTGRES_URL, else DATABASE_URL when it names PostgreSQL, else the
local server). The benchmark creates its own database, named after this process, and drops it when it finishes;
every phase that talks to it runs in a spawned child process, so the runner's own settings are never touched.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import traceback
import uuid
from urllib.parse import urlsplit

from bench.bench_ledger import SPAWN, _django, _server_url, _with_database
from bench.results import Result

ROUNDS = 3
MESSAGES = 5_000  # drained (and, for the reference, inserted and updated) in each round
WORKERS = 2
INSERT_BATCH = 1_000
NAME = "notify.outbox.drain"
GOAL = ("ratio", ">=", 0.2)
COLUMNS = ("reference", "channel", "to_address", "kind", "essential", "subject", "body", "status", "attempts",
           "next_attempt_at", "provider_reference", "last_error", "created_at")  # fmt: skip


def run() -> list[Result]:
    try:
        return [_measure()]
    except Exception as error:
        reason = f"could not run: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        return [Result(NAME, 0.0, *GOAL, reason)]


def _measure() -> Result:
    import psycopg

    server = _server_url()
    try:
        admin = psycopg.connect(_with_database(server, "postgres"), autocommit=True)
    except psycopg.OperationalError as error:
        raise RuntimeError(f"PostgreSQL not reachable at {urlsplit(server).hostname}") from error
    database = f"ostrom_bench_notify_{os.getpid()}"
    try:
        admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {database}")
        with tempfile.TemporaryDirectory(prefix="ostrom-bench-sms-") as folder:
            ours, theirs = _rounds(_with_database(server, database), os.path.join(folder, "sms.jsonl"))
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        admin.close()
    detail = (
        f"{ours:,.0f} texts/s drained by {WORKERS} workers to the file adapter vs plain SQL insert + update "
        f"{theirs:,.0f} rows/s; {MESSAGES:,} a round, {ROUNDS} rounds"
    )
    return Result(NAME, ours / theirs, *GOAL, detail)


def _rounds(url: str, sms_path: str) -> tuple[float, float]:
    """Start a helper (set-up, filling, the reference) and two workers; then, each round, fill the outbox and let
    the workers drain it, and run the reference, alternating which goes first. Mean rates of ours and theirs."""
    from concurrent.futures import ProcessPoolExecutor

    ours: list[float] = []
    theirs: list[float] = []
    with ProcessPoolExecutor(max_workers=1, mp_context=SPAWN, initializer=_setup, initargs=(url, sms_path)) as helper:
        helper.submit(_migrate).result()
        barrier = SPAWN.Barrier(WORKERS + 1)
        queue = SPAWN.Queue()
        workers = [SPAWN.Process(target=_worker, args=(url, sms_path, barrier, queue)) for _ in range(WORKERS)]
        for worker in workers:
            worker.start()
        try:
            barrier.wait(timeout=180)  # every worker is set up and connected
            for round_number in range(ROUNDS):
                if round_number % 2 == 0:
                    theirs.append(helper.submit(_reference).result())
                helper.submit(_fill).result()
                barrier.wait(timeout=60)
                start = time.perf_counter()
                outcomes = [queue.get(timeout=600) for _ in workers]
                elapsed = time.perf_counter() - start
                errors = [o for o in outcomes if isinstance(o, str)]
                if errors:
                    raise RuntimeError(f"A worker failed:\n{errors[0]}")
                if sum(outcomes) != MESSAGES:
                    raise RuntimeError(f"The workers drained {sum(outcomes)} texts, not {MESSAGES}")
                helper.submit(_check_round, round_number + 1).result()
                ours.append(MESSAGES / elapsed)
                if round_number % 2 == 1:
                    theirs.append(helper.submit(_reference).result())
        finally:
            barrier.abort()
            for worker in workers:
                worker.join(timeout=30)
                if worker.is_alive():
                    worker.terminate()
    return statistics.mean(ours), statistics.mean(theirs)


# --- child processes ----------------------------------------------------------------------------------------


def _setup(url: str, sms_path: str) -> None:
    os.environ["SMS_BACKEND"] = "file"
    os.environ["SMS_FILE_PATH"] = sms_path
    _django(url)


def _migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _rows(count: int) -> list[dict]:
    from django.utils import timezone

    now = timezone.now()
    return [
        {"reference": uuid.uuid4(), "channel": "sms", "to_address": f"+4477009{n % 100_000:05d}", "kind": "bench.alert",
         "essential": False, "subject": "", "body": f"Your pickup is tomorrow between 9 and 11. Ref {n}.",
         "status": "queued", "attempts": 0, "next_attempt_at": now, "provider_reference": "", "last_error": "",
         "created_at": now}
        for n in range(count)
    ]  # fmt: skip


def _fill() -> None:
    """Queue MESSAGES texts, as actions would have written them, and let the planner know."""
    from django.db import connection

    from ostrom.notify.models import Message

    Message.objects.bulk_create((Message(**row) for row in _rows(MESSAGES)), batch_size=INSERT_BATCH)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE notify_message")


def _check_round(rounds_done: int) -> None:
    """Every text of every round went exactly once: all rows delivered, one file line each."""
    from django.conf import settings

    from ostrom.notify.models import Message, MessageStatus

    delivered = Message.objects.filter(status=MessageStatus.DELIVERED).count()
    with open(settings.SMS_FILE_PATH) as handle:
        lines = sum(1 for _ in handle)
    if delivered != lines or delivered != MESSAGES * rounds_done or Message.objects.count() != delivered:
        raise RuntimeError(f"{delivered} delivered and {lines} file lines after {rounds_done} round(s)")


def _reference() -> float:
    """Plain psycopg on its own connection: insert MESSAGES rows like ours into a scratch copy of notify_message
    (its defaults, checks and indexes), in one transaction, then update each to delivered in its own statement."""
    import psycopg

    from ostrom.notify.models import Message

    table = Message._meta.db_table
    rows = [tuple(row[c] for c in COLUMNS) for row in _rows(MESSAGES)]
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as raw:
        raw.execute(f"CREATE TABLE bench_outbox (LIKE {table} INCLUDING ALL)")
        try:
            start = time.perf_counter()
            with raw.transaction(), raw.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO bench_outbox ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"
                    " RETURNING id",
                    rows,
                    returning=True,
                )
                ids = []
                while True:
                    ids.append(cursor.fetchone()[0])
                    if not cursor.nextset():
                        break
            with raw.cursor() as cursor:
                for row_id in ids:
                    cursor.execute(
                        "UPDATE bench_outbox SET status = 'delivered', provider_reference = %s, sent_at = now(),"
                        " delivered_at = now(), attempts = attempts + 1 WHERE id = %s",
                        (f"file:{row_id}", row_id),
                    )
            elapsed = time.perf_counter() - start
        finally:
            raw.execute("DROP TABLE bench_outbox")
    return MESSAGES / elapsed


def _worker(url: str, sms_path: str, barrier, queue) -> None:  # pragma: no cover - child process
    """One worker: each round, drain until nothing is left, and report how many it handled."""
    import threading

    try:
        _setup(url, sms_path)
        from ostrom.notify.actions import outbox

        outbox.drain()  # connect, and let the server cache its plans, before the clock starts
        barrier.wait(timeout=180)
        for _ in range(ROUNDS):
            barrier.wait(timeout=600)
            handled = 0
            while done := outbox.drain():
                handled += done
            queue.put(handled)
    except threading.BrokenBarrierError:
        return
    except BaseException:
        queue.put(traceback.format_exc())
        barrier.abort()
