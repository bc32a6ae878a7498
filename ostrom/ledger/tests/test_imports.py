"""Importing history from files: every row read and checked, then all posted as one batch or nothing at all."""

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ostrom.communities.domain import DomainError
from ostrom.communities.models import AuditEntry
from ostrom.communities.tests.factories import MemberFactory, UserFactory
from ostrom.ledger import actions
from ostrom.ledger.actions import imports
from ostrom.ledger.domain.csv_formats import FileFormat
from ostrom.ledger.models import Account, CurrencyKind, Transfer, TransferBatch
from ostrom.ledger.tests.test_bulk import confirm_data

HOUR = 60
REASON = "Moving from TimeOverflow"


def fresh(account):
    return Account.objects.get(pk=account.pk)


def footprint():
    return (
        Transfer.objects.count(),
        TransferBatch.objects.count(),
        AuditEntry.objects.count(),
        Account.objects.count(),
        sorted(Account.objects.values_list("pk", "debit_limit", "credit_limit")),
    )


def preview(coordinator, currency, text, **options):
    return imports.run(coordinator, currency, text, reason=REASON, dry_run=True, **options)


def post(coordinator, currency, text, **options):
    return imports.run(coordinator, currency, text, reason=REASON, dry_run=False, **options)


@pytest.fixture
def cast_in_hours(hours, mina_account, cora_account):
    return hours


# Ostrom's format


OSTROM_FILE = (
    "date,payer,payee,amount,memo,category\n"
    "2024-03-01,mina@example.org,cora@example.org,1:30,Gardening,garden\n"
    "2024-03-02,Cora,#{mina},2.5,Shopping,errands\n"
)


def test_a_preview_of_a_good_file_shows_every_row_and_writes_nothing(coordinator, cast_in_hours, mina_account):
    before = footprint()

    imported = preview(coordinator, cast_in_hours, OSTROM_FILE.format(mina=mina_account.pk))

    assert imported.format == FileFormat.OSTROM and imported.result.ok
    assert [(r.line, r.payer, r.payee, r.amount_text) for r in imported.result.rows] == [
        (2, "Mina", "Cora", "1 h 30 min"),
        (3, "Cora", "Mina", "2 h 30 min"),
    ]
    assert footprint() == before


def test_a_good_file_is_posted_as_one_audited_batch_keeping_the_dates(
    coordinator, cast_in_hours, mina_account, cora_account
):
    imported = post(coordinator, cast_in_hours, OSTROM_FILE.format(mina=mina_account.pk))

    batch = imported.result.batch
    assert batch.kind == "import" and batch.transfer_count == 2
    assert (fresh(mina_account).balance, fresh(cora_account).balance) == (HOUR, -HOUR)
    assert list(Transfer.objects.order_by("pk").values_list("reference", "category", "memo")) == [
        ("date:2024-03-01", "garden", "Gardening"),
        ("date:2024-03-02", "errands", "Shopping"),
    ]
    entry = AuditEntry.objects.get(action="ledger.batch_import")
    assert (entry.actor, entry.reason) == (coordinator.user, REASON)


def test_one_failing_row_blocks_the_whole_file_and_every_failure_is_listed(coordinator, cast_in_hours):
    text = (
        "payer,payee,amount\n"
        "mina@example.org,cora@example.org,1\n"
        "nobody@example.org,cora@example.org,1\n"
        "mina@example.org,cora@example.org,1.5.3\n"
        "mina@example.org,cora@example.org,-2\n"
        "mina@example.org,cora@example.org,0\n"
        "mina@example.org,cora@example.org,0.01\n"
        "mina@example.org,cora@example.org\n"
        "mina@example.org,cora@example.org,20\n"
        "mina@example.org,mina@example.org,1\n"
    )
    before = footprint()

    for imported in (preview(coordinator, cast_in_hours, text), post(coordinator, cast_in_hours, text)):
        assert [(r.line, r.code) for r in imported.result.failures] == [
            (3, "party_unknown"),
            (4, "amount_invalid"),
            (5, "amount_not_positive"),
            (6, "amount_not_positive"),
            (7, "amount_too_precise"),
            (8, "wrong_columns"),
            (9, "debit_limit_exceeded"),
            (10, "same_account"),
        ]
        assert imported.result.batch is None
    assert footprint() == before


def test_the_same_file_is_never_imported_twice(coordinator, cast_in_hours, mina_account):
    text = OSTROM_FILE.format(mina=mina_account.pk)
    first = post(coordinator, cast_in_hours, text)
    before = footprint()

    again_preview = preview(coordinator, cast_in_hours, text)
    again = post(coordinator, cast_in_hours, text)

    assert again_preview.result.replayed and again.result.replayed
    assert again.result.batch == first.result.batch
    assert footprint() == before


def test_a_member_named_by_two_people_is_ambiguous(coordinator, community, cast_in_hours):
    MemberFactory(community=community, user=UserFactory(email="mina2@example.org"), display_name="Mina")

    imported = preview(coordinator, cast_in_hours, "payer,payee,amount\nMina,cora@example.org,1\n")

    assert [r.code for r in imported.result.failures] == ["party_ambiguous"]


def test_nobody_from_another_community_can_be_named(coordinator, cast_in_hours, outsider):
    imported = preview(
        coordinator, cast_in_hours, "payer,payee,amount\notto@example.org,cora@example.org,1\nOtto,Cora,1\n"
    )

    assert [r.code for r in imported.result.failures] == ["party_unknown", "party_unknown"]


def test_a_member_without_an_account_in_the_currency_gets_one_only_when_the_file_is_posted(
    coordinator, cast_in_hours, admin_member
):
    text = "payer,payee,amount\nmina@example.org,ada@example.org,1\n"
    preview(coordinator, cast_in_hours, text)
    assert not Account.objects.filter(member=admin_member).exists()

    post(coordinator, cast_in_hours, text)

    assert Account.objects.get(member=admin_member, currency=cast_in_hours).balance == HOUR


# Opening balances


def test_opening_balances_keep_the_ledger_at_zero_through_the_issuance_account(
    coordinator, cast_in_hours, mina_account, cora_account, issuance
):
    imported = post(
        coordinator, cast_in_hours, "member,balance\nmina@example.org,3:00\ncora@example.org,-1:00\nada,0\n"
    )

    assert imported.result.batch.kind == "opening_balances" and imported.skipped == [4]
    assert (fresh(mina_account).balance, fresh(cora_account).balance) == (3 * HOUR, -HOUR)
    assert fresh(issuance).balance == -2 * HOUR
    assert sum(a.balance for a in Account.objects.filter(currency=cast_in_hours)) == 0
    assert set(Transfer.objects.values_list("memo", flat=True)) == {"Opening balance"}


def test_a_file_of_zero_balances_has_nothing_to_import(coordinator, cast_in_hours):
    with pytest.raises(DomainError) as refused:
        preview(coordinator, cast_in_hours, "member,balance\nmina@example.org,0\n")

    assert refused.value.code == "file_no_rows"


# History beyond today's limits


BIG_HISTORY = "payer,payee,amount\nmina@example.org,cora@example.org,15:00\ncora@example.org,mina@example.org,3:00\n"


def test_history_beyond_todays_limits_is_reported_unless_the_coordinator_raises_them(
    coordinator, cast_in_hours, mina_account
):
    before = footprint()

    imported = preview(coordinator, cast_in_hours, BIG_HISTORY)

    assert [(r.line, r.code) for r in imported.result.failures] == [(2, "debit_limit_exceeded")]
    assert footprint() == before


def test_raising_limits_for_history_is_previewed_without_changing_them(coordinator, cast_in_hours, mina_account):
    before = footprint()

    imported = preview(coordinator, cast_in_hours, BIG_HISTORY, raise_limits=True)

    assert imported.result.ok
    assert [(c.holder, c.debit_before, c.debit_after) for c in imported.result.limit_changes] == [
        ("Mina", "10 h", "15 h")
    ]
    assert footprint() == before


def test_raised_limits_are_just_enough_and_each_change_is_audited(coordinator, cast_in_hours, mina_account):
    post(coordinator, cast_in_hours, BIG_HISTORY, raise_limits=True)

    mina = fresh(mina_account)
    assert (mina.balance, mina.debit_limit) == (-12 * HOUR, 15 * HOUR)
    change = AuditEntry.objects.get(action="ledger.limits_changed")
    assert change.actor == coordinator.user and REASON in change.reason


def test_raised_limits_are_undone_when_the_import_fails_for_another_reason(coordinator, cast_in_hours, mina_account):
    before = footprint()

    imported = post(
        coordinator, cast_in_hours, BIG_HISTORY + "nobody@example.org,cora@example.org,1\n", raise_limits=True
    )

    assert [r.code for r in imported.result.failures] == ["party_unknown"]
    assert footprint() == before


# TimeOverflow and Komunitin


def test_a_timeoverflow_upload_is_imported_with_the_coordinators_list_of_who_is_who(
    coordinator, cast_in_hours, mina_account, cora_account, issuance
):
    text = "12,member,7,member,5400,2023-05-01 10:00:00 UTC,Gardening,\n1,organization,12,member,3600,,Welcome,\n"

    imported = post(coordinator, cast_in_hours, text, names="12, mina@example.org\n7, cora@example.org\n")

    assert imported.format == FileFormat.TIMEOVERFLOW_IMPORT and imported.result.batch is not None
    assert (fresh(mina_account).balance, fresh(cora_account).balance) == (-30, 90)
    assert fresh(issuance).balance == -HOUR  # the time bank's own account became the issuance account


def test_a_timeoverflow_member_number_nobody_listed_is_reported(coordinator, cast_in_hours):
    imported = preview(coordinator, cast_in_hours, "12,member,7,member,5400,,Gardening,\n")

    assert [(r.line, r.payer, r.code) for r in imported.result.failures] == [(1, "member 12", "party_unknown")]


def test_a_timeoverflow_report_finds_members_by_their_full_name(coordinator, cast_in_hours, mina_account, cora_account):
    text = (
        "Date,From,To,Post,Quantity\n"
        "2023-05-01 10:00:00 UTC,Mina Member (12),Cora Coordinator (7),Gardening,1:30\n"
        "2023-05-02 10:00:00 UTC,Banc de Temps,Mina Member (12),Welcome,1:00\n"
    )

    imported = post(coordinator, cast_in_hours, text, names="Banc de Temps, issuance")

    assert imported.result.batch is not None
    assert (fresh(mina_account).balance, fresh(cora_account).balance) == (-30, 90)


def test_a_komunitin_upload_is_imported_by_account_code(coordinator, community, member):
    credits = actions.create_currency(
        community, code="net2", name="Net credits", kind=CurrencyKind.CREDIT, scale=100, default_debit_limit=1000
    )
    mina = actions.open_account(credits, member=member)
    text = "NET20002,NET20001,Bread,2.5\n"

    imported = post(coordinator, credits, text, names="NET20002, mina@example.org\nNET20001, cora@example.org\n")

    assert imported.format == FileFormat.KOMUNITIN and imported.result.batch is not None
    assert fresh(mina).balance == -250


def test_a_broken_who_is_who_list_is_refused(coordinator, cast_in_hours):
    with pytest.raises(DomainError) as refused:
        preview(coordinator, cast_in_hours, "12,member,7,member,5400,,Gardening,\n", names="12 mina@example.org")

    assert refused.value.code == "names_invalid" and "Line 1" in refused.value.message


def test_a_file_too_big_to_read_is_refused_before_any_row(coordinator, cast_in_hours):
    with pytest.raises(DomainError) as refused:
        preview(coordinator, cast_in_hours, "payer,payee,amount\n" + "a,b,1\n" * 50_001)

    assert refused.value.code == "file_too_many_rows"


def test_only_coordinators_import(member, cast_in_hours):
    with pytest.raises(DomainError) as refused:
        preview(member, cast_in_hours, "payer,payee,amount\nmina@example.org,cora@example.org,1\n")

    assert refused.value.code == "not_coordinator"


# The import page


def url():
    return reverse("ledger_coord_import", args=["riverside"])


def upload(content, name="history.csv"):
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, "text/csv")


def form(content, **extra):
    return {"currency": "hours", "upload": upload(content), "reason": REASON, "action": "preview", **extra}


def test_a_file_is_uploaded_previewed_and_posted_once(client, coordinator, cast_in_hours, mina_account, cora_account):
    client.force_login(coordinator.user)
    text = "payer,payee,amount,memo\nmina@example.org,cora@example.org,1:30,Gardening\n"

    previewed = client.post(url(), form(text))

    assert previewed.status_code == 200 and Transfer.objects.count() == 0
    page = previewed.content.decode()
    assert "Read as: Ostrom transfers" in page and "Gardening" in page and "1 h 30 min" in page
    confirm = confirm_data(previewed)
    assert "upload" not in confirm and confirm["text"] == ""  # the file waits on the server, not in the page
    posted = client.post(url(), confirm)
    again = client.post(url(), confirm)

    assert posted.status_code == again.status_code == 302
    assert TransferBatch.objects.get().kind == "import"
    assert (fresh(mina_account).balance, fresh(cora_account).balance) == (-90, 90)
    assert "nothing was posted twice" in client.get(again.url).content.decode()


def test_uploading_the_same_file_again_later_posts_nothing(client, coordinator, cast_in_hours, mina_account):
    client.force_login(coordinator.user)
    text = "payer,payee,amount\nmina@example.org,cora@example.org,1\n"
    client.post(url(), confirm_data(client.post(url(), form(text))))
    before = footprint()

    previewed = client.post(url(), form(text))

    assert previewed.status_code == 302
    assert "already posted" in client.get(previewed.url).content.decode()
    assert footprint() == before


BAD_FILES = {
    "malformed row": (
        'payer,payee,amount\n"mina@example.org,cora@example.org,1\n',
        "cannot be read as CSV from line 2",
    ),
    "unknown member": ("payer,payee,amount\nnobody@example.org,cora@example.org,1\n", "No one here matches"),
    "amount 1.5.3": ("payer,payee,amount\nmina@example.org,cora@example.org,1.5.3\n", "Enter the amount as a number"),
    "negative": ("payer,payee,amount\nmina@example.org,cora@example.org,-1\n", "must be more than zero"),
    "zero": ("payer,payee,amount\nmina@example.org,cora@example.org,0:00\n", "must be more than zero"),
    "fractional minutes": ("payer,payee,amount\nmina@example.org,cora@example.org,0.01\n", "smaller than a minute"),
    "seconds not minutes": ("12,member,7,member,90,,x,\n", "not a whole number of minutes"),
    "wrong columns": ("payer,payee,amount\nmina@example.org,cora@example.org\n", "should have 3"),
    "empty file": ("", "The file is empty"),
    "binary file": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00", "not text"),
    "latin-1": ("payer,payee,amount\nJosé,cora@example.org,1\n".encode("latin-1"), "not UTF-8"),
    "unknown format": ("name,age\nMina,40\n", "could not tell which format"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_file_is_refused_with_a_clear_message_and_writes_nothing(client, coordinator, cast_in_hours, case):
    content, message = BAD_FILES[case]
    client.force_login(coordinator.user)
    before = footprint()

    response = client.post(url(), form(content))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'value="confirm"' not in response.content.decode()
    assert footprint() == before


def test_the_preview_lists_every_failing_row_and_a_single_one_blocks_the_import(client, coordinator, cast_in_hours):
    client.force_login(coordinator.user)
    good = "mina@example.org,cora@example.org,0:10\ncora@example.org,mina@example.org,0:10\n" * 150
    text = (
        "payer,payee,amount\n"
        + good
        + "nobody@example.org,cora@example.org,1\n"
        + good
        + "mina@example.org,cora@example.org,x\n"
    )
    before = footprint()

    response = client.post(url(), form(text))

    assert response.status_code == 400
    page = response.content.decode()
    assert "2 of 602 rows cannot be posted" in page
    rows = [r.line for r in response.context["shown_rows"] if r.failed]
    assert rows == [302, 603]
    assert "400 more rows that can be posted" in page
    assert footprint() == before


def test_a_confirm_after_the_preview_expired_asks_for_the_file_again(client, coordinator, cast_in_hours):
    client.force_login(coordinator.user)
    previewed = client.post(url(), form("payer,payee,amount\nmina@example.org,cora@example.org,1\n"))
    cache.clear()
    before = footprint()

    response = client.post(url(), confirm_data(previewed))

    assert response.status_code == 400 and "preview has expired" in response.content.decode()
    assert footprint() == before


def test_the_format_can_be_chosen_and_names_listed_on_the_page(
    client, coordinator, cast_in_hours, mina_account, cora_account
):
    client.force_login(coordinator.user)
    data = form("12,member,7,member,5400,,Gardening,\n", file_format="timeoverflow_import", names="12, Mina\n7, Cora")

    previewed = client.post(url(), data)
    client.post(url(), confirm_data(previewed))

    assert (fresh(mina_account).balance, fresh(cora_account).balance) == (-90, 90)


def test_pasted_contents_work_like_an_upload(client, coordinator, cast_in_hours, mina_account):
    client.force_login(coordinator.user)
    data = {
        "currency": "hours",
        "text": "member,balance\nmina@example.org,2:00\n",
        "reason": REASON,
        "action": "preview",
    }

    previewed = client.post(url(), data)
    posted = client.post(url(), confirm_data(previewed))

    assert posted.status_code == 302 and fresh(mina_account).balance == 2 * HOUR


def test_an_import_needs_a_file_and_a_reason(client, coordinator, cast_in_hours):
    client.force_login(coordinator.user)

    response = client.post(url(), {"currency": "hours", "action": "preview"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose a file, or paste its contents" in page or "Enter why you are importing" in page
    assert "Enter why you are importing" in page
