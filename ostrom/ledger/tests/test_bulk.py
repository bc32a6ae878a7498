"""Coordinators' bulk operations: the levy, issuing credits to volunteers, and transfers made for members.

Each is previewed (every row with its outcome) and then posted all or nothing, with the preview's key."""

import threading
import uuid
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.urls import reverse

from ostrom.communities.domain import DomainError, Status
from ostrom.communities.models import AuditEntry
from ostrom.communities.tests.factories import MemberFactory, UserFactory
from ostrom.ledger import actions
from ostrom.ledger.actions import bulk
from ostrom.ledger.domain import csv_formats
from ostrom.ledger.domain.csv_formats import Party
from ostrom.ledger.models import Account, AccountKind, CurrencyKind, Transfer, TransferBatch

HOUR = 60
HOURS = csv_formats.Units("time", 60)


def fresh(account):
    return Account.objects.get(pk=account.pk)


def footprint():
    """Everything a bulk operation could write."""
    return (
        Transfer.objects.count(),
        TransferBatch.objects.count(),
        AuditEntry.objects.count(),
        Account.objects.count(),
    )


@pytest.fixture
def olu(community):
    """A third Riverside member."""
    return MemberFactory(community=community, user=UserFactory(email="olu@example.org"), display_name="Olu")


@pytest.fixture
def credits(community):
    """Riverside's volunteer credits: at most 10.00 may be issued."""
    return actions.create_currency(
        community, code="credits", name="River credits", kind=CurrencyKind.CREDIT, symbol="RC", scale=100,
        issuance_limit=1000,
    )  # fmt: skip


def levy(coordinator, currency, amount, people=None, *, dry_run, key=None, **options):
    planned = bulk.plan_levy(currency, amount, "Levy for March", people)
    return bulk.run(
        coordinator, currency, planned, key=key or uuid.uuid4(), kind="levy", memo="Levy for March",
        reason="Levy for March", dry_run=dry_run, **options,
    )  # fmt: skip


# The levy


def test_a_levy_previews_every_active_member_and_writes_nothing(coordinator, hours, mina_account, cora_account, fees):
    before = footprint()

    preview = levy(coordinator, hours, 30, dry_run=True)

    assert preview.ok and preview.batch is None
    assert [(row.payer, row.payee, row.amount_text) for row in preview.rows] == [
        ("Cora", fees.holder_name, "30 min"),
        ("Mina", fees.holder_name, "30 min"),
    ]
    assert preview.total_text == "1 h"
    assert footprint() == before


def test_a_levy_posts_from_everyone_to_the_fees_account_with_an_audit_row(
    coordinator, hours, mina_account, cora_account, fees
):
    posted = levy(coordinator, hours, 30, dry_run=False)

    assert posted.batch is not None and posted.batch.transfer_count == 2
    assert fresh(fees).balance == HOUR
    assert fresh(mina_account).balance == fresh(cora_account).balance == -30
    entry = AuditEntry.objects.get(action="ledger.batch_levy")
    assert (entry.actor, entry.reason, entry.details["batch"]) == (coordinator.user, "Levy for March", posted.batch.pk)


def test_a_levy_leaves_out_frozen_accounts_and_members_who_left(coordinator, hours, mina_account, cora_account, olu):
    actions.open_account(hours, member=olu)
    olu.status = Status.LEFT
    olu.save()
    actions.set_status(coordinator, cora_account, "frozen", "On holiday")

    preview = levy(coordinator, hours, 30, dry_run=True)

    assert [row.payer for row in preview.rows] == ["Mina"]


def test_one_member_who_cannot_pay_blocks_the_whole_levy_and_is_named(
    coordinator, hours, mina_account, cora_account, fees
):
    actions.transfer(debit=mina_account, credit=cora_account, amount=10 * HOUR, key=uuid.uuid4())
    before = footprint()

    preview = levy(coordinator, hours, 30, dry_run=True)
    posted = levy(coordinator, hours, 30, dry_run=False)

    for result in (preview, posted):
        assert [(row.payer, row.code) for row in result.failures] == [("Mina", "debit_limit_exceeded")]
        assert "Mina" in result.failures[0].message
        assert result.batch is None
    assert footprint() == before


def test_a_levy_can_leave_out_those_who_cannot_pay(coordinator, hours, mina_account, cora_account, fees):
    actions.transfer(debit=mina_account, credit=cora_account, amount=10 * HOUR, key=uuid.uuid4())

    posted = levy(coordinator, hours, 30, dry_run=False, leave_out_unpayable=True)

    assert posted.batch.transfer_count == 1
    assert [(row.payer, row.left_out) for row in posted.rows] == [("Cora", False), ("Mina", True)]
    assert fresh(fees).balance == 30


def test_a_levy_on_a_list_names_everyone_it_cannot_charge(coordinator, hours, mina_account, fees, outsider):
    people = [
        (1, Party.named("mina@example.org")),
        (2, Party.named("nobody@example.org")),
        (3, Party.named("otto@example.org")),
        (4, Party.named("Mina")),
        (5, Party.named("fees")),
    ]
    before = footprint()

    preview = levy(coordinator, hours, 30, people, dry_run=False)

    assert [(row.line, row.code) for row in preview.failures] == [
        (2, "party_unknown"),
        (3, "party_unknown"),
        (4, "listed_twice"),
        (5, "system_account_not_allowed"),
    ]
    assert footprint() == before


def test_a_levy_amount_must_be_positive(coordinator, hours, mina_account):
    for amount in (0, -30):
        with pytest.raises(DomainError) as refused:
            levy(coordinator, hours, amount, dry_run=True)
        assert refused.value.code == "amount_not_positive"


# Issuing credits


def issue(coordinator, currency, text, *, dry_run, key=None):
    parsed = csv_formats.parse_payments(text, csv_formats.Units(currency.kind, currency.scale))
    planned = bulk.plan_issue(currency, parsed.rows, parsed.errors)
    return bulk.run(
        coordinator, currency, planned, key=key or uuid.uuid4(), kind="issue", memo="Volunteering in March",
        reason="Volunteering in March", dry_run=dry_run,
    )  # fmt: skip


def test_volunteers_are_issued_credits_from_the_issuance_account(coordinator, member, credits):
    posted = issue(coordinator, credits, "mina@example.org, 2.50, litter pick\ncora@example.org, 1\n", dry_run=False)

    assert posted.batch.transfer_count == 2
    issuance = actions.system_account(credits, AccountKind.ISSUANCE)
    assert fresh(issuance).balance == -350
    mina = Account.objects.get(currency=credits, member=member)
    assert mina.balance == 250  # her account was opened for her
    assert Transfer.objects.get(credit_account=mina).memo == "litter pick"


def test_issuing_more_than_may_be_issued_is_refused_and_says_how_much_may(coordinator, member, credits):
    before = footprint()

    preview = issue(coordinator, credits, "mina@example.org, 6\ncora@example.org, 5\n", dry_run=True)

    assert [(row.line, row.code) for row in preview.failures] == [(2, "debit_limit_exceeded")]
    assert "at most 10.00 RC" in preview.failures[0].message
    assert footprint() == before


def test_credits_go_only_to_active_members(coordinator, credits, member, admin_member):
    admin_member.status = Status.SUSPENDED
    admin_member.save()

    preview = issue(coordinator, credits, "ada@example.org, 1\nmina@example.org, 1.5.3\n", dry_run=True)

    assert [(row.line, row.code) for row in preview.failures] == [(1, "member_not_active"), (2, "amount_invalid")]


# Transfers made for members


def on_behalf(coordinator, currency, text, *, dry_run, key=None, reason="Paper slips from the drop-in"):
    parsed = csv_formats.parse_on_behalf(text, csv_formats.Units(currency.kind, currency.scale))
    planned = bulk.plan_on_behalf(currency, parsed.rows, parsed.errors)
    return bulk.run(
        coordinator, currency, planned, key=key or uuid.uuid4(), kind="on_behalf", memo="Made by a coordinator",
        reason=reason, dry_run=dry_run, audit_payers=True,
    )  # fmt: skip


def test_transfers_for_members_leave_an_audit_row_on_each_payers_record(
    coordinator, member, hours, mina_account, cora_account, staff, organisation
):
    text = "mina@example.org, cora@example.org, 1:30, gardening\nmina@example.org, Riverside Council, 0:30\n"

    posted = on_behalf(coordinator, hours, text, dry_run=False)

    assert posted.batch.transfer_count == 2
    assert fresh(mina_account).balance == -2 * HOUR
    transfers = Transfer.objects.order_by("pk")
    assert [(t.created_by, t.reason) for t in transfers] == [(coordinator.user, "Paper slips from the drop-in")] * 2
    entry = AuditEntry.objects.get(action="ledger.transfer_on_behalf")
    assert (entry.member, entry.actor, entry.reason) == (member, coordinator.user, "Paper slips from the drop-in")
    assert entry.details["transfers"] == [t.pk for t in transfers]


def test_transfers_for_members_need_a_reason(coordinator, hours, mina_account, cora_account):
    with pytest.raises(DomainError) as refused:
        on_behalf(coordinator, hours, "mina@example.org, cora@example.org, 1\n", dry_run=True, reason="  ")

    assert refused.value.code == "reason_required"


def test_a_coordinator_cannot_use_the_community_accounts_as_if_they_were_a_member(coordinator, hours, mina_account):
    preview = on_behalf(
        coordinator, hours, "issuance, mina@example.org, 5\nmina@example.org, mina@example.org, 1\n", dry_run=True
    )

    assert [(row.line, row.code) for row in preview.failures] == [
        (1, "system_account_not_allowed"),
        (2, "same_account"),
    ]


# The preview's key


def test_posting_twice_with_the_preview_key_posts_once(coordinator, hours, mina_account, cora_account, fees):
    preview = levy(coordinator, hours, 30, dry_run=True)
    first = levy(coordinator, hours, 30, dry_run=False, key=preview.key)
    before = footprint()

    again = levy(coordinator, hours, 30, dry_run=False, key=preview.key)

    assert again.replayed and again.batch == first.batch
    assert footprint() == before
    assert fresh(fees).balance == HOUR


def test_posting_rechecks_what_changed_since_the_preview(coordinator, hours, mina_account, cora_account):
    preview = levy(coordinator, hours, 30, dry_run=True)
    actions.transfer(debit=mina_account, credit=cora_account, amount=10 * HOUR, key=uuid.uuid4())
    before = footprint()

    posted = levy(coordinator, hours, 30, dry_run=False, key=preview.key)

    assert posted.batch is None and [row.payer for row in posted.failures] == ["Mina"]
    assert footprint() == before


# Who may


def test_only_a_coordinator_of_the_community_runs_bulk_operations(member, outsider, hours, mina_account):
    for who in (member, outsider):
        with pytest.raises(DomainError) as refused:
            levy(who, hours, 30, dry_run=True)
        assert refused.value.code == "not_coordinator"


def test_limits_needed_follow_the_running_balance_not_just_the_end():
    """A history that dips to -5 h and comes back still needs a 5 h debit limit."""
    mina = Account(pk=1, debits_posted=0, credits_posted=0)
    cora = Account(pk=2, debits_posted=0, credits_posted=0)

    needed = bulk.limits_needed({1: mina, 2: cora}, [(1, 2, 5 * HOUR), (2, 1, 5 * HOUR)])

    assert needed == {mina: (5 * HOUR, 0), cora: (0, 5 * HOUR)}


# The pages


class ConfirmForm(HTMLParser):
    """The hidden inputs of the preview's "Post" form, as a browser would send them."""

    def __init__(self):
        super().__init__()
        self.forms, self.current = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.current = {}
        elif tag == "input" and self.current is not None and attrs.get("type") == "hidden":
            self.current[attrs["name"]] = attrs.get("value") or ""
        elif tag == "button" and self.current is not None and attrs.get("value") == "confirm":
            self.current["action"] = "confirm"

    def handle_endtag(self, tag):
        if tag == "form" and self.current is not None:
            self.forms.append(self.current)
            self.current = None


def confirm_data(response):
    parser = ConfirmForm()
    parser.feed(response.content.decode())
    (found,) = [form for form in parser.forms if form.get("action") == "confirm"]
    return found


def url(name):
    return reverse(name, args=["riverside"])


def test_a_levy_is_previewed_then_posted_once_however_often_the_post_button_is_pressed(
    client, coordinator, hours, mina_account, cora_account, fees
):
    client.force_login(coordinator.user)
    form = {"currency": "hours", "amount": "0:30", "memo": "Levy for March", "who": "everyone", "action": "preview"}

    previewed = client.post(url("ledger_coord_levy"), form)

    assert previewed.status_code == 200
    assert Transfer.objects.count() == 0
    page = previewed.content.decode()
    assert "Check before posting" in page and "Post all 2 transfers" in page
    confirm = confirm_data(previewed)
    posted = client.post(url("ledger_coord_levy"), confirm)
    again = client.post(url("ledger_coord_levy"), confirm)

    assert posted.status_code == again.status_code == 302
    assert TransferBatch.objects.get().transfer_count == 2
    assert fresh(fees).balance == HOUR
    assert "nothing was posted twice" in client.get(again.url).content.decode()


def test_a_levy_preview_names_who_cannot_pay_and_offers_no_post_button(
    client, coordinator, hours, mina_account, cora_account
):
    actions.transfer(debit=mina_account, credit=cora_account, amount=10 * HOUR, key=uuid.uuid4())
    client.force_login(coordinator.user)
    before = footprint()

    response = client.post(
        url("ledger_coord_levy"),
        {"currency": "hours", "amount": "1", "memo": "Levy", "who": "everyone", "action": "preview"},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "1 of 2 rows cannot be posted" in page and "Mina would go below the lowest balance allowed" in page
    assert 'value="confirm"' not in page
    assert footprint() == before


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"amount": "1.5.3"}, "Enter the amount as a number"),
        ({"amount": "-1"}, "more than zero"),
        ({"amount": "0"}, "more than zero"),
        ({"amount": "0.001"}, "smaller than a minute"),
        ({"amount": ""}, "Enter amount from each account"),
        ({"memo": ""}, "Enter description"),
        ({"who": "list", "people": ""}, "List the people to charge"),
        ({"who": "list", "people": "nobody@example.org"}, "No one here matches"),
        ({"currency": "pounds"}, "Select a valid choice"),
    ],
)
def test_a_bad_levy_form_is_refused_with_a_message_and_writes_nothing(
    client, coordinator, hours, mina_account, form, message
):
    client.force_login(coordinator.user)
    before = footprint()
    data = {"currency": "hours", "amount": "1", "memo": "Levy", "who": "everyone", "action": "preview", **form}

    response = client.post(url("ledger_coord_levy"), data)
    confirmed = client.post(url("ledger_coord_levy"), {**data, "action": "confirm", "key": str(uuid.uuid4())})

    assert response.status_code == confirmed.status_code == 400
    assert message in response.content.decode()
    assert footprint() == before


def test_issuing_credits_through_the_page(client, coordinator, member, credits):
    client.force_login(coordinator.user)
    form = {"currency": "credits", "volunteers": "mina@example.org, 2\ncora@example.org", "amount": "1",
            "memo": "Litter pick", "action": "preview"}  # fmt: skip

    previewed = client.post(url("ledger_coord_issue"), form)
    posted = client.post(url("ledger_coord_issue"), confirm_data(previewed))

    assert posted.status_code == 302
    assert fresh(actions.system_account(credits, AccountKind.ISSUANCE)).balance == -300


def test_transfers_for_members_can_be_uploaded_as_a_file(
    client, coordinator, member, hours, mina_account, cora_account
):
    client.force_login(coordinator.user)
    upload = SimpleUploadedFile("slips.csv", b"mina@example.org,cora@example.org,1:30,gardening\n", "text/csv")
    form = {"currency": "hours", "upload": upload, "reason": "Paper slips", "action": "preview"}

    previewed = client.post(url("ledger_coord_on_behalf"), form)
    assert previewed.status_code == 200 and Transfer.objects.count() == 0
    posted = client.post(url("ledger_coord_on_behalf"), confirm_data(previewed))

    assert posted.status_code == 302
    assert fresh(mina_account).balance == -90
    assert AuditEntry.objects.filter(action="ledger.transfer_on_behalf", member=member).count() == 1


def test_a_binary_upload_of_transfers_is_refused(client, coordinator, hours, mina_account):
    client.force_login(coordinator.user)
    before = footprint()
    upload = SimpleUploadedFile("slips.csv", b"\x00\x01\x02\x03binary", "text/csv")

    response = client.post(
        url("ledger_coord_on_behalf"), {"currency": "hours", "upload": upload, "reason": "x", "action": "preview"}
    )

    assert response.status_code == 400 and "not text" in response.content.decode()
    assert footprint() == before


PAGES = [
    "ledger_coord_tools",
    "ledger_coord_levy",
    "ledger_coord_issue",
    "ledger_coord_on_behalf",
    "ledger_coord_import",
]


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("persona", ["member", "staff", "outsider"])
def test_only_coordinators_open_the_bulk_pages(client, personas, hours, mina_account, name, persona):
    client.force_login(personas[persona].user)
    before = footprint()

    opened = client.get(url(name))
    posted = client.post(
        url(name), {"currency": "hours", "amount": "1", "memo": "x", "who": "everyone", "action": "confirm",
                    "key": str(uuid.uuid4()), "reason": "x", "volunteers": "mina@example.org", "rows": "a,b,1"},
    )  # fmt: skip

    assert opened.status_code == posted.status_code == 403
    assert footprint() == before


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitors_are_sent_to_log_in(client, community, name):
    response = client.get(url(name))

    assert (response.status_code, response["Location"]) == (302, f"/login/?next={url(name)}")


@pytest.mark.parametrize("name", PAGES)
def test_coordinators_and_administrators_open_the_bulk_pages(client, coordinator, admin_member, hours, name):
    for who in (coordinator, admin_member):
        client.force_login(who.user)
        response = client.get(url(name))
        assert response.status_code == 200
        assert response.context["community"].slug == "riverside" and response.context["membership"] == who


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_posts_of_one_preview_racing_each_other_post_once(coordinator, hours, mina_account, cora_account, fees):
    if connection.vendor != "postgresql":
        pytest.skip("Separate connections racing for row locks need PostgreSQL.")
    preview = levy(coordinator, hours, 30, dry_run=True)
    results, start = [], threading.Barrier(4)

    def post():
        try:
            start.wait()
            results.append(levy(coordinator, hours, 30, dry_run=False, key=preview.key))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 4 and len({r.batch.pk for r in results}) == 1
    assert sorted(r.replayed for r in results) == [False, True, True, True]
    assert TransferBatch.objects.count() == 1 and Transfer.objects.count() == 2
    assert fresh(fees).balance == HOUR
