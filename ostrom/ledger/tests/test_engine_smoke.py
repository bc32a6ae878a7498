import uuid

import pytest

from ostrom.communities.domain import DomainError
from ostrom.ledger import actions
from ostrom.ledger.models import Account, Transfer

HOUR = 60


def fresh(account):
    return Account.objects.get(pk=account.pk)


def test_an_hour_of_help_moves_an_hour(mina_account, cora_account):
    posted = actions.transfer(debit=mina_account, credit=cora_account, amount=HOUR, key=uuid.uuid4(), memo="Gardening")

    assert (posted.debit_balance_after, posted.credit_balance_after) == (-HOUR, HOUR)
    assert fresh(mina_account).balance == -HOUR
    assert fresh(cora_account).balance == HOUR


def test_a_retry_with_the_same_key_changes_nothing(mina_account, cora_account):
    key = uuid.uuid4()
    first = actions.transfer(debit=mina_account, credit=cora_account, amount=HOUR, key=key)
    again = actions.transfer(debit=mina_account, credit=cora_account, amount=HOUR, key=key)

    assert again.replayed and again.id == first.id
    assert Transfer.objects.count() == 1
    with pytest.raises(DomainError) as refused:
        actions.transfer(debit=mina_account, credit=cora_account, amount=2 * HOUR, key=key)
    assert refused.value.code == "exists_with_different_amount"


def test_it_rejects_a_transfer_over_the_debit_limit(mina_account, cora_account):
    with pytest.raises(DomainError) as refused:
        actions.transfer(debit=mina_account, credit=cora_account, amount=11 * HOUR, key=uuid.uuid4())

    assert refused.value.code == "debit_limit_exceeded"
    assert Transfer.objects.count() == 0
    assert fresh(mina_account).debits_posted == 0


def test_a_hold_counts_against_the_limit_and_is_taken_once(mina_account, cora_account):
    held = actions.hold(debit=mina_account, credit=cora_account, amount=8 * HOUR, key=uuid.uuid4())
    with pytest.raises(DomainError):
        actions.transfer(debit=mina_account, credit=cora_account, amount=3 * HOUR, key=uuid.uuid4())

    hold_row = Transfer.objects.get(pk=held.id)
    actions.post_hold(hold_row, key=uuid.uuid4(), amount=5 * HOUR)
    with pytest.raises(DomainError) as refused:
        actions.void_hold(hold_row, key=uuid.uuid4())

    assert refused.value.code == "hold_already_resolved"
    assert fresh(mina_account).balance == -5 * HOUR
    assert fresh(mina_account).debits_pending == 0


def test_a_batch_posts_all_or_nothing(hours, mina_account, cora_account, fees):
    lines = [actions.Line(mina_account.pk, fees.pk, HOUR), actions.Line(cora_account.pk, fees.pk, 11 * HOUR)]

    outcome = actions.post_batch(hours, lines, key=uuid.uuid4(), kind="levy", actor=None)

    assert [f.code for f in outcome.failures] == ["debit_limit_exceeded"]
    assert Transfer.objects.count() == 0
    ok = actions.post_batch(hours, lines[:1], key=uuid.uuid4(), kind="levy", actor=None)
    assert ok.ok and fresh(fees).balance == HOUR


def test_a_transfer_is_reversed_once(mina_account, cora_account, coordinator):
    posted = actions.transfer(debit=mina_account, credit=cora_account, amount=HOUR, key=uuid.uuid4())
    original = Transfer.objects.get(pk=posted.id)

    actions.reverse(original, actor=coordinator.user, reason="Entered twice")
    with pytest.raises(DomainError) as refused:
        actions.reverse(original, actor=coordinator.user, reason="Again", key=uuid.uuid4())

    assert refused.value.code == "already_reversed"
    assert fresh(mina_account).balance == 0
