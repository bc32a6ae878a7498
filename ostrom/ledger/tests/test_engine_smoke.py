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


def test_a_growing_limit_cannot_be_capped_below_where_it_starts(community):
    with pytest.raises(DomainError) as refused:
        actions.create_currency(
            community, code="h2", name="Hours", kind="time", default_debit_limit=10 * HOUR,
            limit_growth_permille=500, limit_growth_cap=5 * HOUR,
        )  # fmt: skip

    assert refused.value.code == "growth_cap_below_limit"


def test_receiving_help_raises_a_growing_limit_up_to_its_cap(community, member):
    hours = actions.create_currency(
        community, code="grow", name="Hours", kind="time", default_debit_limit=2 * HOUR,
        limit_growth_permille=500, limit_growth_cap=3 * HOUR,
    )  # fmt: skip
    giver = actions.open_account(hours, member=member)
    receiver = actions.system_account(hours, "issuance")  # no limit: it stands for everyone Mina helped

    actions.transfer(debit=receiver, credit=giver, amount=HOUR, key=uuid.uuid4())
    assert fresh(giver).debit_limit == 2 * HOUR + 30
    actions.transfer(debit=receiver, credit=giver, amount=HOUR, key=uuid.uuid4())
    assert fresh(giver).debit_limit == 3 * HOUR
    actions.transfer(debit=receiver, credit=giver, amount=HOUR, key=uuid.uuid4())
    assert fresh(giver).debit_limit == 3 * HOUR
