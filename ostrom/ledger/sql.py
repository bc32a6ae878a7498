"""The SQL of the hot path: one transfer, posted or held, in as few round trips as the database allows.

PostgreSQL runs it as one function call, so one round trip: the two accounts are locked in ascending id
order (so two transfers between the same pair never deadlock) and updated together, and the transfer row is
inserted with both balances after it. SQLite runs one UPDATE of both accounts and one
INSERT inside its single-writer transaction (BEGIN IMMEDIATE, see settings), so it needs no row locks.

Either way the database, not Python, has the last word: the CHECK constraints on ledger_account refuse a
transfer that would take an account past its limit, and the unique constraint on (community, key) refuses a
key used twice -- the caller then returns the first transfer made with that key (see posting.post_single).

Changing POSTGRES_FUNCTION needs a new migration that runs it again (see migrations/0003)."""

import re

# What one transfer does to an account's totals. ``{target}`` is the account being updated; the debit account
# takes the debit side, the credit account the credit side, and a posted credit may grow the debit limit
# (see domain.limits.grown_debit_limit: base + credits received * permille / 1000, up to the cap).
_SET_TOTALS = """
    debits_pending = a.debits_pending + CASE WHEN a.id = {debit} AND {pending} THEN {amount} ELSE 0 END,
    debits_posted = a.debits_posted + CASE WHEN a.id = {debit} AND NOT {pending} THEN {amount} ELSE 0 END,
    credits_pending = a.credits_pending + CASE WHEN a.id = {credit} AND {pending} THEN {amount} ELSE 0 END,
    credits_posted = a.credits_posted + CASE WHEN a.id = {credit} AND NOT {pending} THEN {amount} ELSE 0 END,
    debit_limit = CASE WHEN a.id = {credit} AND NOT {pending} AND a.limit_growth_permille > 0
                            AND a.debit_limit IS NOT NULL AND a.debit_limit_base IS NOT NULL
                       THEN {least}(COALESCE(a.limit_growth_cap, 9223372036854775807),
                                    a.debit_limit_base + (a.credits_posted + {amount}) * a.limit_growth_permille / 1000)
                       ELSE a.debit_limit END"""

# Only an active account of this community and currency can take part; anything else touches no row.
_USABLE = "a.community_id = {community} AND a.currency_id = {currency} AND a.status = 'active'"

COLUMNS = (
    "community_id", "currency_id", "key", "kind", "debit_account_id", "credit_account_id", "amount", "expires_at",
    "memo", "category", "reference", "reason", "created_by_id", "on_behalf_of_id", "batch_id", "reverses_id",
    "pending_id", "created_at", "debit_balance_after", "credit_balance_after",
)  # fmt: skip
# Their PostgreSQL types, in the same order, for a binary COPY (see posting._copy_transfers).
COLUMN_TYPES = (
    "bigint", "bigint", "uuid", "text", "bigint", "bigint", "bigint", "timestamptz",
    "text", "text", "text", "text", "bigint", "bigint", "bigint", "bigint",
    "bigint", "timestamptz", "bigint", "bigint",
)  # fmt: skip

_PG = {"debit": "p_debit", "credit": "p_credit", "amount": "p_amount", "pending": "v_pending", "least": "LEAST"}

# The argument list is unchanged since 0002; the result lost its ``replayed`` column (a used key is now
# refused by the unique constraint), which is why migration 0003 drops the old function first.
POSTGRES_SIGNATURE = (
    "ledger_transfer(bigint, bigint, uuid, text, bigint, bigint, bigint, timestamptz, text, text, text, text, "
    "bigint, bigint, bigint, bigint, timestamptz)"
)

# Why this shape: each statement that writes a table re-reads that table's CHECK constraints and opens all its
# indexes, which costs more on the server than the write itself. So both accounts change in ONE update (after
# a plain lock in id order, so two transfers between the same pair never deadlock) and the transfer row goes in
# with one insert, its balances taken from what the update returned.
POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION ledger_transfer(
    p_community bigint, p_currency bigint, p_key uuid, p_kind text, p_debit bigint, p_credit bigint,
    p_amount bigint, p_expires_at timestamptz, p_memo text, p_category text, p_reference text, p_reason text,
    p_created_by bigint, p_on_behalf_of bigint, p_batch bigint, p_reverses bigint, p_now timestamptz
) RETURNS TABLE (transfer_id bigint, debit_balance bigint, credit_balance bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_pending boolean := p_kind = 'pending';
    v_touched integer;
    v_debit_balance bigint;
    v_credit_balance bigint;
BEGIN
    PERFORM 1 FROM ledger_account WHERE id IN (p_debit, p_credit) ORDER BY id FOR UPDATE;
    WITH updated AS (
        UPDATE ledger_account AS a SET {_SET_TOTALS.format(**_PG)}
        WHERE a.id IN (p_debit, p_credit) AND {_USABLE.format(community="p_community", currency="p_currency")}
        RETURNING a.id, a.credits_posted - a.debits_posted AS balance
    )
    SELECT count(*), max(balance) FILTER (WHERE id = p_debit), max(balance) FILTER (WHERE id = p_credit)
        INTO v_touched, v_debit_balance, v_credit_balance FROM updated;
    IF v_touched <> 2 THEN
        RAISE EXCEPTION 'ledger:account_unavailable';
    END IF;
    RETURN QUERY INSERT INTO ledger_transfer ({", ".join(COLUMNS)})
    VALUES (p_community, p_currency, p_key, p_kind, p_debit, p_credit, p_amount, p_expires_at, p_memo, p_category,
            p_reference, p_reason, p_created_by, p_on_behalf_of, p_batch, p_reverses, NULL, p_now,
            v_debit_balance, v_credit_balance)
    RETURNING id, debit_balance_after, credit_balance_after;
END
$$;
"""

POSTGRES_CALL = "SELECT * FROM ledger_transfer(" + ", ".join(["%s"] * 17) + ")"
# The same call in libpq's own placeholders, prepared once per connection by actions/libpq_call.py.
POSTGRES_CALL_PREPARED = "SELECT * FROM ledger_transfer(" + ", ".join(f"${n}" for n in range(1, 18)) + ")"

# SQLite: written in Django's placeholder style, so the same text runs through Django's cursor (which logs it
# when something is watching queries) or, converted by ``for_sqlite3``, straight on the driver.
SQLITE_UPDATE = (
    "UPDATE ledger_account AS a SET"
    + _SET_TOTALS.format(
        debit="%(debit)s", credit="%(credit)s", amount="%(amount)s", pending="%(pending)s", least="MIN"
    )
    + "\nWHERE a.id IN (%(debit)s, %(credit)s) AND "
    + _USABLE.format(community="%(community)s", currency="%(currency)s")
    + "\nRETURNING id, credits_posted - debits_posted"
)

SQLITE_INSERT = f"INSERT INTO ledger_transfer ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"


def for_sqlite3(query: str) -> str:
    """The same statement in the sqlite3 module's own placeholder style (:name and ?)."""
    return re.sub(r"%\((\w+)\)s", r":\1", query).replace("%s", "?")


# A batch (a levy, credits issued to a list of volunteers) on PostgreSQL: one statement does what apply_batch does
# in Python -- each line applied in order, a line refused if it takes its payer below the debit limit or its payee
# above the credit limit at that point, a received payment growing the debit limit -- and, only when no line is
# refused, inserts every transfer with its balances after and moves every account's totals on. Why in SQL: the
# Python way read ten thousand account rows out and wrote them back, which cost more than the inserts. Callers lock
# the accounts first (ascending ids) and keep apply_batch for previews and for explaining a refusal; the accounts'
# CHECK constraints still have the last word. Parameters, in order: the batch's key, the lines as arrays (debit
# ids, credit ids, amounts, memos, categories, references, on-behalf-of member ids), then community, currency,
# reason, created_by, batch and the time. Line n's key (n from 0) is md5('<batch key>:<n>') read as a UUID, as
# transfers.line_key makes it. One row back: ('refused', NULL) or ('posted', the ids in line order), as one array
# because ten thousand rows cost more to fetch than one.
_GROWN = """CASE WHEN {credited} > 0 AND a.limit_growth_permille > 0
                 AND a.debit_limit IS NOT NULL AND a.debit_limit_base IS NOT NULL
            THEN LEAST(COALESCE(a.limit_growth_cap, 9223372036854775807),
                       a.debit_limit_base + ({credits}) * a.limit_growth_permille / 1000)
            ELSE a.debit_limit END"""

POSTGRES_BATCH = f"""
WITH batch AS (SELECT %s::uuid::text AS key
), lines AS (
    SELECT l.*, md5(batch.key || ':' || (l.n - 1))::uuid AS key
    FROM batch, unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::text[], %s::text[], %s::text[], %s::bigint[])
        WITH ORDINALITY AS l(debit, credit, amount, memo, category, reference, on_behalf_of, n)
), legs AS (
    SELECT n, debit AS account, amount AS debited, 0::bigint AS credited FROM lines
    UNION ALL
    SELECT n, credit, 0::bigint, amount FROM lines
), running AS (
    SELECT m.n, m.account, m.debited, m.credited,
           a.debits_posted + m.debited_so_far AS debits_after,
           a.credits_posted + m.credited_so_far AS credits_after,
           a.debits_pending, a.credits_pending, a.credit_limit,
           {_GROWN.format(credited="m.credited_so_far", credits="a.credits_posted + m.credited_so_far")}
               AS debit_limit_after
    FROM (SELECT legs.*, (SUM(debited) OVER w)::bigint AS debited_so_far,
                 (SUM(credited) OVER w)::bigint AS credited_so_far
          FROM legs WINDOW w AS (PARTITION BY account ORDER BY n)) AS m
    JOIN ledger_account a ON a.id = m.account
), refused AS (
    SELECT n FROM running
    WHERE (debited > 0 AND debit_limit_after IS NOT NULL
           AND debits_after + debits_pending - credits_after > debit_limit_after)
       OR (credited > 0 AND credit_limit IS NOT NULL
           AND credits_after + credits_pending - debits_after > credit_limit)
), balances AS (
    SELECT n, max(credits_after - debits_after) FILTER (WHERE debited > 0) AS debit_after,
              max(credits_after - debits_after) FILTER (WHERE credited > 0) AS credit_after
    FROM running GROUP BY n
), inserted AS (
    INSERT INTO ledger_transfer ({", ".join(COLUMNS)})
    SELECT %s, %s, l.key, 'transfer', l.debit, l.credit, l.amount, NULL, l.memo, l.category, l.reference, %s, %s,
           l.on_behalf_of, %s, NULL, NULL, %s, b.debit_after, b.credit_after
    FROM lines l JOIN balances b ON b.n = l.n
    WHERE NOT EXISTS (SELECT 1 FROM refused)
    ORDER BY l.n
    RETURNING id
), moved AS (
    SELECT account, SUM(debited)::bigint AS debited, SUM(credited)::bigint AS credited FROM legs GROUP BY account
), updated AS (
    UPDATE ledger_account AS a
    SET debits_posted = a.debits_posted + moved.debited,
        credits_posted = a.credits_posted + moved.credited,
        debit_limit = {_GROWN.format(credited="moved.credited", credits="a.credits_posted + moved.credited")}
    FROM moved
    WHERE a.id = moved.account AND NOT EXISTS (SELECT 1 FROM refused)
)
SELECT 'refused', NULL FROM refused HAVING count(*) > 0
UNION ALL
-- The rows go in in line order and each takes the sequence's next value as it goes, so id order is line order.
SELECT 'posted', array_agg(id ORDER BY id) FROM inserted HAVING count(*) > 0
"""
