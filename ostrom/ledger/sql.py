"""The SQL of the hot path: one transfer, posted or held, in as few round trips as the database allows.

PostgreSQL runs it as one function call (one round trip, accounts locked in ascending id order);
SQLite runs the same three statements inside its single-writer transaction. Either way the account
limits are enforced by the CHECK constraints on ledger_account, not by Python.

Changing POSTGRES_FUNCTION needs a new migration that runs it again (CREATE OR REPLACE)."""

# Growth of the debit limit with what an account has received (see domain.limits.grown_debit_limit).
_GROWN_LIMIT = """
    CASE WHEN a.id = {credit} AND NOT {pending} AND a.limit_growth_permille > 0
              AND a.debit_limit IS NOT NULL AND a.debit_limit_base IS NOT NULL
         THEN {least}(COALESCE(a.limit_growth_cap, 9223372036854775807),
                      a.debit_limit_base + (a.credits_posted + {amount}) * a.limit_growth_permille / 1000)
         ELSE a.debit_limit END"""

_UPDATE_ACCOUNTS = """
UPDATE ledger_account AS a SET
    debits_pending = a.debits_pending + CASE WHEN a.id = {debit} AND {pending} THEN {amount} ELSE 0 END,
    debits_posted = a.debits_posted + CASE WHEN a.id = {debit} AND NOT {pending} THEN {amount} ELSE 0 END,
    credits_pending = a.credits_pending + CASE WHEN a.id = {credit} AND {pending} THEN {amount} ELSE 0 END,
    credits_posted = a.credits_posted + CASE WHEN a.id = {credit} AND NOT {pending} THEN {amount} ELSE 0 END,
    debit_limit = {grown}
WHERE a.id IN ({debit}, {credit}) AND a.community_id = {community} AND a.currency_id = {currency}
  AND a.status = 'active'"""

_COLUMNS = """community_id, currency_id, key, kind, debit_account_id, credit_account_id, amount, expires_at,
    memo, category, reference, reason, created_by_id, on_behalf_of_id, batch_id, reverses_id, created_at,
    debit_balance_after, credit_balance_after"""

_BALANCES = """(SELECT credits_posted - debits_posted FROM ledger_account WHERE id = {debit}),
    (SELECT credits_posted - debits_posted FROM ledger_account WHERE id = {credit})"""


def _update(least: str, **names: str) -> str:
    return _UPDATE_ACCOUNTS.format(grown=_GROWN_LIMIT.format(least=least, **names), **names)


POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION ledger_transfer(
    p_community bigint, p_currency bigint, p_key uuid, p_kind text, p_debit bigint, p_credit bigint,
    p_amount bigint, p_expires_at timestamptz, p_memo text, p_category text, p_reference text, p_reason text,
    p_created_by bigint, p_on_behalf_of bigint, p_batch bigint, p_reverses bigint, p_now timestamptz
) RETURNS TABLE (transfer_id bigint, replayed boolean, debit_balance bigint, credit_balance bigint)
LANGUAGE plpgsql AS $$
DECLARE
    p_pending boolean := p_kind = 'pending';
    touched integer;
BEGIN
    -- Lock both accounts in ascending id order, so two transfers between the same pair never deadlock.
    PERFORM 1 FROM ledger_account WHERE id IN (p_debit, p_credit) ORDER BY id FOR UPDATE;
    -- A retry with a key already used returns the first result; the caller compares the fields.
    RETURN QUERY SELECT t.id, true, t.debit_balance_after, t.credit_balance_after
        FROM ledger_transfer t WHERE t.community_id = p_community AND t.key = p_key;
    IF FOUND THEN RETURN; END IF;
    {
    _update(
        "LEAST",
        debit="p_debit",
        credit="p_credit",
        amount="p_amount",
        pending="p_pending",
        community="p_community",
        currency="p_currency",
    )
};
    GET DIAGNOSTICS touched = ROW_COUNT;
    IF touched <> 2 THEN
        RAISE EXCEPTION 'ledger:account_unavailable';
    END IF;
    RETURN QUERY INSERT INTO ledger_transfer ({_COLUMNS})
        VALUES (p_community, p_currency, p_key, p_kind, p_debit, p_credit, p_amount, p_expires_at,
                p_memo, p_category, p_reference, p_reason, p_created_by, p_on_behalf_of, p_batch, p_reverses, p_now,
                {_BALANCES.format(debit="p_debit", credit="p_credit")})
        RETURNING id, false, debit_balance_after, credit_balance_after;
END
$$;
"""

POSTGRES_CALL = "SELECT * FROM ledger_transfer(" + ", ".join(["%s"] * 17) + ")"

SQLITE_FIND = (
    "SELECT id, debit_balance_after, credit_balance_after FROM ledger_transfer WHERE community_id = %s AND key = %s"
)

SQLITE_UPDATE = _update(
    "MIN",
    debit="%(debit)s",
    credit="%(credit)s",
    amount="%(amount)s",
    pending="%(pending)s",
    community="%(community)s",
    currency="%(currency)s",
)

SQLITE_INSERT = f"""
INSERT INTO ledger_transfer ({_COLUMNS})
VALUES (%(community)s, %(currency)s, %(key)s, %(kind)s, %(debit)s, %(credit)s, %(amount)s, %(expires_at)s,
        %(memo)s, %(category)s, %(reference)s, %(reason)s, %(created_by)s, %(on_behalf_of)s, %(batch)s, %(reverses)s,
        %(now)s, {_BALANCES.format(debit="%(debit)s", credit="%(credit)s")})
RETURNING id, debit_balance_after, credit_balance_after"""
