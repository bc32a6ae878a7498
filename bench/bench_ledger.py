"""Ledger benchmarks (issue 4), each against a reference measured on the same machine in the same run.

- ledger.transfer.pg.c8 / .c1: single transfers through ``ledger.actions.transfers.transfer`` from 8 (or 1)
  client processes, each with its own Django and connection, between 1,000 members in random pairs; as a ratio
  to ``pgbench -b tpcb-like`` with as many clients (-j 2, or -j 1), taking turns with it in short rounds.
- ledger.batch.pg: a 10,000-line levy (each member pays the fees account) posted with ``post_batch``, in
  transfers per second; and ledger.batch.pg.vs_copy, that rate as a ratio to a raw psycopg COPY of the same
  rows (fresh keys) into ledger_transfer itself, committed and then deleted: the same table, indexes and size.
- ledger.statement.p95: ``statements.statement_page`` for one account that is party to all of 1,000,000
  transfers, loaded set-based with consistent running balances; p95 over 200 pages at random depths.
- ledger.transfer.sqlite.c1: single transfers on a fresh SQLite file (WAL, the settings' OPTIONS), as a ratio
  to a raw ``sqlite3`` loop doing the same updates and insert on the same file, taking turns with it.

PostgreSQL is found through BENCH_POSTGRES_URL, else DATABASE_URL when it names PostgreSQL, else the local
server as ``make test`` uses it. The benchmark creates its own databases (named after this process) and drops
them when it finishes. Every phase that talks to a database runs in a spawned child process whose Django
points at that database, so the runner's own settings (SQLite by default) are never touched.
"""

from __future__ import annotations

import functools
import glob
import multiprocessing
import os
import random
import re
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from bench.results import Result

# Ours and the reference take turns in short rounds (alternating which goes first), so a load that comes and
# goes on a shared machine falls on both alike: 5 rounds of 2 seconds each, 10 seconds of each in all.
ROUNDS = 5
ROUND_SECONDS = 2
MEMBERS = 10_000  # member accounts; the levy takes one line from each
TRADERS = 1_000  # the accounts single transfers move between, in random pairs
LEVY_LINES = 10_000
STATEMENT_TRANSFERS = 1_000_000
STATEMENT_CALLS = 200
SQLITE_ROUND_SECONDS = 0.5
GENEROUS_LIMIT_MINUTES = 10**9  # no transfer in the timed runs should meet a limit: we time the happy path

SPAWN = multiprocessing.get_context("spawn")


def run() -> list[Result]:
    results = _postgres_results()
    results += _attempt(["ledger.transfer.sqlite.c1"], lambda: [_sqlite_result()])
    return results


# --- PostgreSQL ---------------------------------------------------------------------------------------------


def _server_url() -> str:
    url = os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = "postgres://postgres@127.0.0.1:5432/postgres"
    return url


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


GOALS = {
    "ledger.transfer.pg.c8": ("ratio", ">=", 1.0),
    "ledger.transfer.pg.c1": ("ratio", ">=", 0.8),
    "ledger.batch.pg": ("tx/s", ">=", 20_000),
    "ledger.batch.pg.vs_copy": ("ratio", ">=", 0.3),
    "ledger.statement.p95": ("ms", "<=", 20),
    "ledger.transfer.sqlite.c1": ("ratio", ">=", 0.5),
}


def _result(name: str, value: float, detail: str) -> Result:
    unit, op, target = GOALS[name]
    return Result(name, value, unit, op, target, detail)


def _missing(name: str, reason: str) -> Result:
    """A benchmark that could not run is shown as a failure with the reason, never silently left out."""
    return _result(name, float("inf") if GOALS[name][1] == "<=" else 0.0, reason)


def _attempt(names: list[str], measure) -> list[Result]:
    """Run one benchmark; if it breaks, report its results as failed with the error, and carry on with the rest."""
    try:
        return measure()
    except Exception as error:
        reason = f"could not run: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        return [_missing(name, reason) for name in names]


def _postgres_results() -> list[Result]:
    import psycopg

    server = _server_url()
    names = [name for name in GOALS if ".pg" in name or "statement" in name]
    try:
        admin = psycopg.connect(_with_database(server, "postgres"), autocommit=True)
    except psycopg.OperationalError as error:
        reason = f"PostgreSQL not reachable at {urlsplit(server).hostname}: {str(error).splitlines()[0]}"
        return [_missing(name, reason) for name in names]
    ours, theirs = f"ostrom_bench_{os.getpid()}", f"ostrom_bench_pgbench_{os.getpid()}"
    try:
        return _attempt(names, lambda: _postgres_phases(admin, server, ours, theirs))
    finally:
        for name in (ours, theirs):
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def _postgres_phases(admin, server: str, ours: str, theirs: str) -> list[Result]:
    for name in (ours, theirs):
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    url = _with_database(server, ours)
    with _child(url) as child:
        cast = child.submit(_prepare_postgres).result()
    results = _attempt(
        ["ledger.transfer.pg.c8", "ledger.transfer.pg.c1"], lambda: _compare_with_pgbench(server, theirs, url, cast)
    )
    results += _attempt(["ledger.batch.pg", "ledger.batch.pg.vs_copy"], lambda: _batch_results(url, cast))
    results += _attempt(["ledger.statement.p95"], lambda: _statement_results(url, cast))
    return results


def _compare_with_pgbench(server: str, database: str, url: str, cast: dict[str, Any]) -> list[Result]:
    pgbench = _pgbench()
    if pgbench is None:
        raise RuntimeError("pgbench not found: it ships with the PostgreSQL server package")
    _run(pgbench, "-i", "-q", "-s", "8", *_pgbench_connection(server, database))
    results = []
    for clients, threads in ((8, 2), (1, 1)):
        reference = functools.partial(_pgbench_tps, pgbench, server, database, clients, threads)
        tps, theirs_tps = _transfer_rounds(url, cast, clients, reference)
        detail = f"{tps:,.0f} TPS vs pgbench tpcb-like {theirs_tps:,.0f} TPS, {clients} client(s) each"
        results.append(_result(f"ledger.transfer.pg.c{clients}", tps / theirs_tps, detail))
    return results


def _batch_results(url: str, cast: dict[str, Any]) -> list[Result]:
    with _child(url) as child:
        per_second, copy_per_second, empty_copy_per_second = child.submit(_batch, cast).result()
    return [
        _result("ledger.batch.pg", per_second, f"{LEVY_LINES:,}-line levy through post_batch"),
        _result(
            "ledger.batch.pg.vs_copy",
            per_second / copy_per_second,
            f"raw COPY of the same rows into ledger_transfer: {copy_per_second:,.0f}/s "
            f"(into an empty copy of the table: {empty_copy_per_second:,.0f}/s)",
        ),
    ]


def _statement_results(url: str, cast: dict[str, Any]) -> list[Result]:
    with _child(url) as child:
        p95_ms, detail = child.submit(_statement, cast).result()
    return [_result("ledger.statement.p95", p95_ms, detail)]


def _pgbench() -> str | None:
    """pgbench ships with the server package; on Debian it sits in the server's own bin folder, not on PATH."""
    found = glob.glob("/usr/lib/postgresql/*/bin/pgbench")
    if found:
        return max(found, key=lambda path: int(re.search(r"postgresql/(\d+)", path)[1]))
    return shutil.which("pgbench")


def _pgbench_connection(server: str, database: str) -> list[str]:
    parts = urlsplit(server)
    user = ["-U", unquote(parts.username)] if parts.username else []
    return ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432), *user, database]


def _run(*command: str) -> str:
    env = dict(os.environ)
    password = urlsplit(_server_url()).password
    if password:
        env["PGPASSWORD"] = unquote(password)
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True, timeout=300)
    return done.stdout + done.stderr


def _pgbench_tps(pgbench: str, server: str, database: str, clients: int, threads: int) -> float:
    out = _run(pgbench, "-b", "tpcb-like", "-c", str(clients), "-j", str(threads), "-T", str(ROUND_SECONDS), "-n",
               *_pgbench_connection(server, database))  # fmt: skip
    match = re.search(r"tps = ([\d.]+)", out)
    if match is None:
        raise RuntimeError(f"Unexpected pgbench output:\n{out}")
    return float(match[1])


# --- child processes: each sets up Django against one database -----------------------------------------------


def _django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_DEBUG"] = "0"  # DEBUG would log every query
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()


@contextmanager
def _child(url: str):
    with ProcessPoolExecutor(max_workers=1, mp_context=SPAWN, initializer=_django, initargs=(url,)) as pool:
        yield pool


def _prepare_postgres() -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    cast = _cast()
    with connection.cursor() as cursor:
        # A live database has statistics (autovacuum gathers them); a freshly loaded one must be told.
        cursor.execute("VACUUM ANALYZE")
    return cast


def _cast() -> dict[str, Any]:
    """A community with MEMBERS members, each with a timebank account and a generous limit."""
    from django.db import transaction

    from ostrom.communities.models import Community, Member, User
    from ostrom.ledger.actions import accounts
    from ostrom.ledger.models import Account, AccountKind, CurrencyKind

    with transaction.atomic():
        community = Community.objects.create(name="Bench Timebank", slug="bench")
        users = User.objects.bulk_create(
            User(email=f"bench{n}@example.org", full_name=f"Bench Member {n}", password="!") for n in range(MEMBERS)
        )
        members = Member.objects.bulk_create(
            Member(community=community, user=user, display_name=f"Member {n}") for n, user in enumerate(users)
        )
        hours = accounts.create_currency(
            community, code="hours", name="Timebank hours", kind=CurrencyKind.TIME,
            default_debit_limit=GENEROUS_LIMIT_MINUTES,
        )  # fmt: skip
        opened = Account.objects.bulk_create(
            Account(
                community=community, currency=hours, kind=AccountKind.MEMBER, member=member,
                debit_limit=GENEROUS_LIMIT_MINUTES, debit_limit_base=GENEROUS_LIMIT_MINUTES,
            )
            for member in members
        )  # fmt: skip
    if not opened[0].pk:  # SQLite before 3.35 returns no ids from bulk_create
        opened = list(Account.objects.filter(currency=hours, kind=AccountKind.MEMBER).order_by("pk"))
    fees = accounts.system_account(hours, AccountKind.FEES)
    return {
        "community": community.pk,
        "currency": hours.pk,
        "accounts": [a.pk for a in opened],
        "fees": fees.pk,
    }


# --- single transfers ---------------------------------------------------------------------------------------


def _transfer_rounds(url: str, cast: dict[str, Any], clients: int, reference) -> tuple[float, float]:
    """Start ``clients`` processes and let each warm up; then, ROUNDS times, run the reference for ROUND_SECONDS
    and our clients for ROUND_SECONDS, alternating which goes first. Mean TPS of ours and of the reference."""
    barrier = SPAWN.Barrier(clients + 1)
    queue = SPAWN.Queue()
    traders = cast["accounts"][:TRADERS]
    processes = [SPAWN.Process(target=_transfer_client, args=(url, traders, n, barrier, queue)) for n in range(clients)]
    for process in processes:
        process.start()
    ours: list[float] = []
    theirs: list[float] = []
    try:
        barrier.wait(timeout=180)  # every client is connected and warm
        for round_number in range(ROUNDS):
            if round_number % 2 == 0:
                theirs.append(reference())
            barrier.wait(timeout=60)  # one round of ours
            outcomes = [queue.get(timeout=ROUND_SECONDS + 60) for _ in processes]
            errors = [o for o in outcomes if isinstance(o, str)]
            if errors:
                raise RuntimeError(f"A transfer client failed:\n{errors[0]}")
            ours.append(sum(o[0] for o in outcomes) / max(o[1] for o in outcomes))
            if round_number % 2 == 1:
                theirs.append(reference())
    finally:
        barrier.abort()
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.terminate()
    return statistics.mean(ours), statistics.mean(theirs)


def _transfer_client(url, traders, seed, barrier, queue) -> None:  # pragma: no cover - child process
    """One client: random pairs of traders, random amounts, a fresh key each; one transfer at a time."""
    import threading
    import traceback

    try:
        _django(url)
        from ostrom.ledger.actions import transfers
        from ostrom.ledger.models import Account

        accounts = list(Account.objects.filter(pk__in=traders))
        rng = random.Random(seed)

        def one() -> None:
            debit, credit = rng.sample(accounts, 2)
            transfers.transfer(
                debit=debit, credit=credit, amount=rng.randint(1, 180), key=uuid.uuid4(), memo="Help", category="bench"
            )

        for _ in range(20):  # connect, and let the server cache its plans, before the clock starts
            one()
        barrier.wait(timeout=180)
        for _ in range(ROUNDS):
            barrier.wait(timeout=120)
            done = 0
            start = time.perf_counter()
            deadline = start + ROUND_SECONDS
            while time.perf_counter() < deadline:
                one()
                done += 1
            queue.put((done, time.perf_counter() - start))
    except threading.BrokenBarrierError:
        return
    except BaseException:
        queue.put(traceback.format_exc())
        barrier.abort()


# --- batch ----------------------------------------------------------------------------------------------------


def _batch(cast: dict[str, Any]) -> tuple[float, float, float]:
    """Post a levy of one hour-ish from each member to the fees account; then COPY the same rows raw."""
    from django.db import connection

    from ostrom.ledger.actions import transfers
    from ostrom.ledger.models import Currency, Transfer

    currency = Currency.objects.get(pk=cast["currency"])
    members = cast["accounts"][:LEVY_LINES]
    lines = [transfers.Line(account, cast["fees"], 30 + n % 31, category="levy") for n, account in enumerate(members)]
    transfers.post_batch(  # warm up: the first query of each kind in a process pays for parsing and planning
        currency, lines[:10], key=uuid.uuid4(), kind="levy", actor=None, memo="Warm-up"
    )
    key = uuid.uuid4()
    start = time.perf_counter()
    outcome = transfers.post_batch(currency, lines, key=key, kind="levy", actor=None, memo="Monthly levy")
    elapsed = time.perf_counter() - start
    assert outcome.ok and len(outcome.transfer_ids) == LEVY_LINES, outcome.failures[:3]

    # The reference: the same rows (as the levy wrote them, with fresh keys) COPY'd raw into ledger_transfer
    # itself, so both write into the same table with the same indexes at the same size; then deleted again. For
    # comparison, the same COPY into an empty table shaped like ledger_transfer (its indexes and checks).
    columns = [
        "community_id", "currency_id", "key", "kind", "debit_account_id", "credit_account_id", "amount", "memo",
        "category", "reference", "reason", "batch_id", "created_at", "debit_balance_after", "credit_balance_after",
    ]  # fmt: skip
    rows = list(Transfer.objects.filter(batch__key=key).order_by("pk").values_list(*columns))
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_copy (LIKE ledger_transfer INCLUDING ALL)")
    copy_elapsed = {}
    for table in ("ledger_transfer", "bench_copy"):
        fresh = [(*row[:2], uuid.uuid4(), *row[3:]) for row in rows]
        copy_elapsed[table] = _raw_copy(connection.connection, table, columns, fresh)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE key = ANY(%s::uuid[])", [[row[2] for row in fresh]])
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_copy")
        cursor.execute("VACUUM ledger_transfer")
    return LEVY_LINES / elapsed, len(rows) / copy_elapsed["ledger_transfer"], len(rows) / copy_elapsed["bench_copy"]


def _raw_copy(raw, table: str, columns: list[str], rows: list[tuple]) -> float:
    """Seconds to COPY ``rows`` into ``table`` and commit, on the bare psycopg connection."""
    start = time.perf_counter()
    with (
        raw.transaction(),
        raw.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
    return time.perf_counter() - start


# --- statement --------------------------------------------------------------------------------------------------


def _statement(cast: dict[str, Any]) -> tuple[float, str]:
    """Load STATEMENT_TRANSFERS transfers set-based, all touching one account, then time its statement page."""
    from django.db import connection

    account = cast["accounts"][0]
    others = cast["accounts"][1:TRADERS]
    start = time.perf_counter()
    with connection.cursor() as cursor:
        _load_history(cursor, cast, account, others)
    load_seconds = time.perf_counter() - start
    timings, how = _time_statement(cast, account)
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1] * 1000
    return p95, (
        f"{how}; median {statistics.median(timings) * 1000:.2f} ms over {len(timings)} calls; "
        f"{STATEMENT_TRANSFERS:,} transfers loaded in {load_seconds:.0f} s"
    )


def _load_history(cursor, cast: dict[str, Any], account: int, others: list[int]) -> None:
    """Every transfer pays ``account`` or is paid by it, alternately, so its balance swings but stays small. The
    balances after each transfer are running sums (from each account's balance now) computed by a window
    function, as the engine would have written them, and the account totals are moved on to match."""
    params = {"account": account, "others": others, "count": len(others), "total": STATEMENT_TRANSFERS}
    cursor.execute(
        """
        CREATE TEMP TABLE bench_moves AS
        SELECT n,
               CASE WHEN mod(n, 2) = 0 THEN %(account)s ELSE (%(others)s::bigint[])[1 + mod(n, %(count)s)] END AS debit,
               CASE WHEN mod(n, 2) = 0 THEN (%(others)s::bigint[])[1 + mod(n, %(count)s)] ELSE %(account)s END AS credit,
               30 + mod(n * 7919, 151) AS amount,
               now() - make_interval(secs => (%(total)s - n) * 30) AS at,
               (ARRAY['gardening', 'transport', 'repairs', 'care', ''])[1 + mod(n, 5)] AS category
        FROM generate_series(1::bigint, %(total)s) AS n
        """,
        params,
    )
    cursor.execute(
        """
        CREATE TEMP TABLE bench_after AS
        SELECT legs.n, legs.account,
               a.credits_posted - a.debits_posted + SUM(legs.delta) OVER (PARTITION BY legs.account ORDER BY legs.n) AS after
        FROM (SELECT n, debit AS account, -amount AS delta FROM bench_moves
              UNION ALL SELECT n, credit, amount FROM bench_moves) AS legs
        JOIN ledger_account a ON a.id = legs.account
        """
    )
    cursor.execute("CREATE INDEX ON bench_after (n, account)")
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    if cursor.fetchone()[0]:  # skip the foreign-key triggers: the rows are consistent by construction
        cursor.execute("SET session_replication_role = replica")
    cursor.execute(
        """
        INSERT INTO ledger_transfer (community_id, currency_id, key, kind, debit_account_id, credit_account_id,
            amount, memo, category, reference, reason, created_at, debit_balance_after, credit_balance_after)
        SELECT %(community)s, %(currency)s, gen_random_uuid(), 'transfer', m.debit, m.credit, m.amount,
               'Help with ' || m.category, m.category, '', '', m.at, d.after, c.after
        FROM bench_moves m
        JOIN bench_after d ON d.n = m.n AND d.account = m.debit
        JOIN bench_after c ON c.n = m.n AND c.account = m.credit
        ORDER BY m.n
        """,
        {"community": cast["community"], "currency": cast["currency"]},
    )
    cursor.execute("RESET session_replication_role")
    cursor.execute(
        """
        UPDATE ledger_account a SET debits_posted = a.debits_posted + moved.debits,
                                    credits_posted = a.credits_posted + moved.credits
        FROM (SELECT account, SUM(debits) AS debits, SUM(credits) AS credits FROM (
                  SELECT debit AS account, amount AS debits, 0 AS credits FROM bench_moves
                  UNION ALL SELECT credit, 0, amount FROM bench_moves) AS legs
              GROUP BY account) AS moved
        WHERE a.id = moved.account
        """
    )
    cursor.execute("DROP TABLE bench_moves, bench_after")
    cursor.execute("ANALYZE ledger_transfer")


def _time_statement(cast: dict[str, Any], account_id: int) -> tuple[list[float], str]:
    """Time ``statements.statement_page`` for pages all through the account's history: the newest page and pages
    at random depths (the keyset cursor is a transfer id). The filtered pages are timed too and shown apart."""
    from django.db.models import Max, Min

    from ostrom.ledger import statements
    from ostrom.ledger.models import Account, Transfer

    account = Account.objects.select_related("community", "currency").get(pk=account_id)
    # Cursors fall within the loaded history: the account also took part in the earlier phases' transfers, whose
    # lower ids hold no "repairs" line for the category pages to find.
    loaded = Transfer.objects.filter(debit_account_id=account_id, memo__startswith="Help with ")
    span = loaded.aggregate(low=Min("id"), high=Max("id"))
    rng = random.Random(7)
    cursors = [None] * (STATEMENT_CALLS // 10) + [
        rng.randint(span["low"], span["high"]) for _ in range(STATEMENT_CALLS - STATEMENT_CALLS // 10)
    ]
    for cursor in cursors[-10:]:  # warm up: the first call of a process pays for parsing and planning
        statements.statement_page(account, before_id=cursor)

    def timed(**kwargs) -> float:
        start = time.perf_counter()
        page = statements.statement_page(account, **kwargs)
        elapsed = time.perf_counter() - start
        assert page.lines, kwargs
        return elapsed

    timings = [timed(before_id=cursor) for cursor in cursors]
    newest = Transfer.objects.get(pk=span["high"]).created_at.date()
    by_category = sorted(timed(before_id=cursor, category="repairs") for cursor in cursors[:40])
    by_month = sorted(
        timed(date_from=newest - timedelta(days=days + 30), date_to=newest - timedelta(days=days))
        for days in (rng.randint(0, 300) for _ in range(40))
    )
    return timings, (
        f"statement_page, newest and random-depth pages; category filter p95 {by_category[37] * 1000:.1f} ms, "
        f"one-month date filter p95 {by_month[37] * 1000:.1f} ms"
    )


# --- SQLite ------------------------------------------------------------------------------------------------------


def _sqlite_result() -> Result:
    with tempfile.TemporaryDirectory(prefix="ostrom-bench-") as folder:
        url = f"sqlite:///{folder}/bench.sqlite3"
        with _child(url) as child:
            ours, reference = child.submit(_sqlite_transfers, f"{folder}/bench.sqlite3").result()
    return _result(
        "ledger.transfer.sqlite.c1", ours / reference, f"{ours:,.0f} TPS vs raw sqlite3 loop {reference:,.0f} TPS"
    )


def _sqlite_transfers(path: str) -> tuple[float, float]:
    """Ours through the action, then the reference on the same file and schema, in alternating rounds."""
    from django.core.management import call_command
    from django.db import connection

    from ostrom.ledger.actions import transfers
    from ostrom.ledger.models import Account

    call_command("migrate", verbosity=0, interactive=False)
    cast = _cast()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the set-up's pages are not the benchmark's to write
    accounts = list(Account.objects.filter(pk__in=cast["accounts"][:TRADERS]))
    rng = random.Random(1)

    def ours() -> None:
        debit, credit = rng.sample(accounts, 2)
        transfers.transfer(
            debit=debit, credit=credit, amount=rng.randint(1, 180), key=uuid.uuid4(), memo="Help", category="bench"
        )

    raw = _raw_sqlite(path, cast, [a.pk for a in accounts], rng)
    for warm_up in (ours, raw):
        for _ in range(50):
            warm_up()
    timings: dict[Any, list[float]] = {ours: [], raw: []}
    for round_number in range(ROUNDS * 2):
        order = (ours, raw) if round_number % 2 == 0 else (raw, ours)
        for loop in order:
            done = 0
            start = time.perf_counter()
            deadline = start + SQLITE_ROUND_SECONDS
            while time.perf_counter() < deadline:
                loop()
                done += 1
            timings[loop].append(done / (time.perf_counter() - start))
    return statistics.mean(timings[ours]), statistics.mean(timings[raw])


def _raw_sqlite(path: str, cast: dict[str, Any], ids: list[int], rng: random.Random):
    """The reference: what a hand-written sqlite3 client would run for one transfer, on its own connection with
    the settings' pragmas: BEGIN IMMEDIATE, update both accounts, insert the transfer, COMMIT."""
    import sqlite3
    from datetime import UTC, datetime

    db = sqlite3.connect(path, isolation_level=None)
    db.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")
    community, currency = cast["community"], cast["currency"]
    insert = (
        "INSERT INTO ledger_transfer (community_id, currency_id, key, kind, debit_account_id, credit_account_id,"
        " amount, memo, category, reference, reason, created_at, debit_balance_after, credit_balance_after)"
        " VALUES (?, ?, ?, 'transfer', ?, ?, ?, 'Help', 'bench', '', '', ?,"
        " (SELECT credits_posted - debits_posted FROM ledger_account WHERE id = ?),"
        " (SELECT credits_posted - debits_posted FROM ledger_account WHERE id = ?))"
    )

    def one() -> None:
        debit, credit = rng.sample(ids, 2)
        amount = rng.randint(1, 180)
        now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
        db.execute("BEGIN IMMEDIATE")
        db.execute("UPDATE ledger_account SET debits_posted = debits_posted + ? WHERE id = ?", (amount, debit))
        db.execute("UPDATE ledger_account SET credits_posted = credits_posted + ? WHERE id = ?", (amount, credit))
        db.execute(insert, (community, currency, uuid.uuid4().hex, debit, credit, amount, now, debit, credit))
        db.execute("COMMIT")

    return one
