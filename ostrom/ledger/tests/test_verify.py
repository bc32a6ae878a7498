"""verify_ledger: a sound ledger verifies clean; a ledger corrupted behind the application's back (raw SQL, as a
bug or a hand edit would) fails, naming the account or transfer and saying what is wrong."""

import io
import uuid
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from ostrom.ledger import verify
from ostrom.ledger.actions import accounts, transfers
from ostrom.ledger.models import AccountKind, CurrencyKind, Transfer

HOUR = 60


def pay(debit, credit, amount, **fields):
    return transfers.transfer(debit=debit, credit=credit, amount=amount, key=uuid.uuid4(), **fields)


def run(*args) -> tuple[str, bool]:
    """The command's output, and whether it failed (exits non-zero when run from the shell)."""
    out = io.StringIO()
    try:
        call_command("verify_ledger", *args, stdout=out)
    except CommandError as error:
        assert error.returncode == 1
        return out.getvalue() + str(error), True
    return out.getvalue(), False


def sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, list(params))


@contextmanager
def check_constraints_off(*names):
    """Let a raw write break the account CHECK constraints, as a bug in an older version might have done.
    On PostgreSQL the dropped constraints come back when the test's transaction rolls back."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA ignore_check_constraints = ON")
            try:
                yield
            finally:
                cursor.execute("PRAGMA ignore_check_constraints = OFF")
            return
        # Foreign keys are checked at commit; run those checks now, or PostgreSQL refuses to alter the table.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for name in names:
            cursor.execute(f'ALTER TABLE ledger_account DROP CONSTRAINT "{name}"')
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        yield


@pytest.fixture
def busy_ledger(hours, coordinator, staff, mina_account, cora_account, issuance, fees):
    """A bit of everything the engine writes: payments, a batch, holds taken, released and open, a reversal,
    and an account closed at zero."""
    pay(cora_account, mina_account, 2 * HOUR, memo="Gardening")
    pay(mina_account, cora_account, 30, memo="Lift")
    transfers.post_batch(
        hours,
        [transfers.Line(mina_account.pk, fees.pk, 5), transfers.Line(cora_account.pk, fees.pk, 5)],
        key=uuid.uuid4(),
        kind="levy",
        actor=coordinator.user,
        memo="Monthly levy",
    )
    taken = transfers.hold(debit=mina_account, credit=cora_account, amount=HOUR, key=uuid.uuid4())
    released = transfers.hold(debit=cora_account, credit=mina_account, amount=HOUR, key=uuid.uuid4())
    transfers.hold(debit=mina_account, credit=cora_account, amount=20, key=uuid.uuid4())
    transfers.post_hold(Transfer.objects.get(pk=taken.id), key=uuid.uuid4(), amount=45)
    transfers.void_hold(Transfer.objects.get(pk=released.id), key=uuid.uuid4())
    mistake = pay(issuance, mina_account, HOUR)
    reversal = transfers.reverse(Transfer.objects.get(pk=mistake.id), actor=coordinator.user, reason="Twice")
    sam = accounts.open_account(hours, member=staff)
    accounts.set_status(coordinator, sam, "closed", "Moved away")
    return {"mistake": mistake.id, "reversal": reversal.id, "taken": taken.id}


def test_a_sound_ledger_verifies_clean_and_says_what_was_checked(busy_ledger):
    output, failed = run()

    assert not failed
    assert verify.verify_ledger() == []
    assert "1 currencies, 5 accounts, 11 transfers." in output
    for check in verify.CHECKS:
        assert f"ok    {check.name}: {check.description}" in output
    assert "No violations" in output


def test_an_empty_ledger_verifies_clean(db):
    output, failed = run()

    assert not failed and "0 currencies, 0 accounts, 0 transfers." in output


def test_totals_changed_behind_the_ledgers_back_fail_naming_the_account(busy_ledger, mina_account):
    sql("UPDATE ledger_account SET credits_posted = credits_posted + 60 WHERE id = %s", [mina_account.pk])

    output, failed = run()

    assert failed
    assert (
        f"[totals] account {mina_account.pk} (Mina, hours): credits_posted is 240 but the transfers add up to 180"
        in (output)
    )
    assert "[zero_sum] currency hours: the balances add up to 60 instead of 0" in output
    assert "FAIL  totals" in output and "ok    limits" in output
    assert "violation(s) found" in output


def test_held_totals_changed_behind_the_ledgers_back_are_found(busy_ledger, cora_account):
    sql("UPDATE ledger_account SET credits_pending = credits_pending + 20 WHERE id = %s", [cora_account.pk])

    findings = verify.verify_ledger()

    assert {(f.check, f.account_id or f.currency_id) for f in findings} == {
        ("totals", cora_account.pk),
        ("zero_sum", cora_account.currency_id),
    }
    assert "credits_pending is 40 but the transfers add up to 20" in findings[0].message


def test_a_balance_after_changed_behind_the_ledgers_back_fails_naming_the_account_and_transfer(
    busy_ledger, mina_account
):
    gardening = Transfer.objects.get(memo="Gardening")
    sql("UPDATE ledger_transfer SET credit_balance_after = 999 WHERE id = %s", [gardening.pk])

    output, failed = run()

    assert failed
    assert (
        f"[running_balances] account {mina_account.pk} (Mina, hours), transfer {gardening.pk}: "
        f"transfer {gardening.pk} says the balance after it was 999, but the movements up to it add up to 120"
    ) in output
    # Only the corrupted line is named, not every line after it.
    assert [f.transfer_id for f in verify.verify_ledger()] == [gardening.pk]


def test_a_resolution_that_points_at_a_payment_is_found(busy_ledger):
    taken = Transfer.objects.get(pending_id=busy_ledger["taken"])
    sql("UPDATE ledger_transfer SET pending_id = %s WHERE id = %s", [busy_ledger["mistake"], taken.pk])

    findings = verify.verify_ledger()

    assert ("holds", taken.pk) in {(f.check, f.transfer_id) for f in findings}
    assert any(f"resolves transfer {busy_ledger['mistake']}, which is not a hold" in f.message for f in findings)


def test_a_reversal_that_does_not_mirror_its_original_is_found(busy_ledger):
    gardening = Transfer.objects.get(memo="Gardening")
    sql("UPDATE ledger_transfer SET reverses_id = %s WHERE id = %s", [gardening.pk, busy_ledger["reversal"]])

    findings = verify.verify_ledger()

    assert [(f.check, f.transfer_id) for f in findings] == [("reversals", busy_ledger["reversal"])]
    assert f"reverses transfer {gardening.pk} but does not mirror" in findings[0].message


def test_an_account_past_its_limit_is_found(busy_ledger, cora_account):
    with check_constraints_off("account_debit_within_limit"):
        # Cora is 50 minutes below zero; a limit of zero leaves her past it.
        sql("UPDATE ledger_account SET debit_limit = 0 WHERE id = %s", [cora_account.pk])

    findings = verify.verify_ledger()

    assert [(f.check, f.account_id) for f in findings] == [("limits", cora_account.pk)]
    assert findings[0].message == "50 below zero counting holds, past its debit limit of 0"


def test_a_closed_account_not_at_zero_is_found(busy_ledger, mina_account):
    with check_constraints_off("account_closed_at_zero"):
        sql("UPDATE ledger_account SET status = 'closed' WHERE id = %s", [mina_account.pk])

    output, failed = run()

    assert failed
    assert f"[closed_accounts] account {mina_account.pk} (Mina, hours): it is closed but its balance is" in output


def test_a_transfer_moved_to_another_currency_is_found(busy_ledger, community):
    green = accounts.create_currency(community, code="green", name="Green credits", kind=CurrencyKind.CREDIT)
    gardening = Transfer.objects.get(memo="Gardening")
    sql("UPDATE ledger_transfer SET currency_id = %s WHERE id = %s", [green.pk, gardening.pk])

    findings = verify.verify_ledger()

    assert ("transfer_accounts", gardening.pk) in {(f.check, f.transfer_id) for f in findings}


def test_one_community_can_be_checked_alone(busy_ledger, other_community, outsider):
    hillside = accounts.create_currency(other_community, code="hours", name="Hillside hours", kind=CurrencyKind.TIME)
    otto = accounts.open_account(hillside, member=outsider)
    pay(accounts.system_account(hillside, AccountKind.ISSUANCE), otto, HOUR)
    sql("UPDATE ledger_account SET credits_posted = 1 WHERE id = %s", [otto.pk])

    riverside_output, riverside_failed = run("--community", "riverside")
    hillside_output, hillside_failed = run("--community", "hillside")

    assert (
        not riverside_failed and "Riverside Timebank ledger: 1 currencies, 5 accounts, 11 transfers" in riverside_output
    )
    assert hillside_failed and f"account {otto.pk} (Otto, hours)" in hillside_output


def test_an_unknown_community_is_refused(db):
    with pytest.raises(CommandError, match="no community with the address 'nowhere'"):
        call_command("verify_ledger", "--community", "nowhere", stdout=io.StringIO())


def test_a_transfer_naming_an_account_that_does_not_exist_is_found(busy_ledger):
    # The transfer table has no foreign-key constraints (the engine checks references): verify_ledger must.
    gardening = Transfer.objects.get(memo="Gardening")
    sql("UPDATE ledger_transfer SET credit_account_id = %s WHERE id = %s", [10**9, gardening.pk])

    findings = verify.verify_ledger()

    assert [f.message for f in findings if f.check == "references"] == ["it names a credit account that does not exist"]
