"""notify's pages through Django's test client, as a browser without JavaScript uses them: who may open what, a
member's notification settings (kinds, quiet hours, digest, texts on and off), confirming a phone number by a code
read from the file the SMS adapter writes, and the coordinator's message log with its filters and retry button."""

import json
import re
from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ostrom.communities.models import AuditEntry, User
from ostrom.communities.tests.factories import CoordinatorFactory, MemberFactory, UserFactory
from ostrom.communities.tests.test_pages import FormReader
from ostrom.notify import registry
from ostrom.notify.actions import outbox, preferences
from ostrom.notify.kinds import register_kinds
from ostrom.notify.models import Message, NotificationSettings, PhoneVerification, Preference, SmsOptOut
from ostrom.notify.registry import MessageKind
from ostrom.notify.urls import urlpatterns

PROBLEM = "There is a problem"
MINA_PHONE = "+447700900123"
SETTINGS = "/c/riverside/settings/notifications/"
PHONE = "/c/riverside/settings/phone/"
CODE = "/c/riverside/settings/phone/code/"
LOG = "/c/riverside/manage/messages/"
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def kinds():
    with registry.isolated():
        register_kinds()
        registry.register_kind(MessageKind("test.news", "News from the timebank"))
        registry.register_kind(MessageKind("test.alert", "Alerts", default_channel="sms"))
        registry.register_kind(MessageKind("test.urgent", "Urgent notices", essential=True, default_channel="sms"))
        yield


@pytest.fixture
def verified_mina(member):
    """Mina with a phone number she proved with a code."""
    member.user.phone = MINA_PHONE
    member.user.save(update_fields=["phone"])
    PhoneVerification.objects.create(
        user=member.user, phone=MINA_PHONE, code_hash="x", expires_at=timezone.now(), verified_at=timezone.now()
    )
    return member


def as_(persona) -> Client:
    client = Client()
    if persona is not None:
        client.force_login(persona.user)
    return client


def text(response) -> str:
    words = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(words.replace("&#x27;", "'").replace("&quot;", '"').replace("&amp;", "&").split())


def post_form(response, action: str) -> dict:
    """The fields of the POST form aimed at ``action``, as the browser would send them."""
    reader = FormReader()
    reader.feed(response.content.decode())
    (form,) = [f for f in reader.forms if f["method"].lower() == "post" and f["action"] == action]
    return form["fields"]


def save_settings(client: Client, **changes):
    """Change some settings on the page and press Save, leaving everything else as the page shows it."""
    fields = post_form(client.get(SETTINGS), SETTINGS)
    unknown = set(changes) - set(fields)
    assert not unknown, f"the settings form has no fields {unknown}"
    return client.post(SETTINGS, fields | changes)


def assert_problem(response, *messages):
    assert response.status_code == 400, response.status_code
    page = text(response)
    assert PROBLEM in page
    for message in messages:
        assert message in page, message


def message_for(member, **fields) -> Message:
    defaults = {
        "community": member.community, "member": member, "user": member.user, "channel": "email",
        "to_address": member.user.email, "kind": "test.news", "body": "Hello",
    }  # fmt: skip
    return Message.objects.create(**(defaults | fields))


# Who may open what: one row per page, one column per persona.

PERSONAS = ("member", "coordinator", "staff", "outsider", "anonymous")
OK, DENIED, NOT_ALLOWED, LOGIN = 200, 403, 405, "login"
PAGES = {
    "notify_settings": ((), (OK, OK, OK, DENIED, LOGIN)),
    "notify_texts": ((), (NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, LOGIN)),
    "notify_phone": ((), (OK, OK, OK, DENIED, LOGIN)),
    "notify_phone_code": ((), (OK, OK, OK, DENIED, LOGIN)),
    "notify_message_log": ((), (DENIED, OK, DENIED, DENIED, LOGIN)),
    "notify_message_retry": ((1,), (NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, LOGIN)),
}


def test_the_table_covers_every_page():
    assert {p.name for p in urlpatterns if not p.name.startswith("webhook_")} == set(PAGES)


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_open_each_page(personas, name, persona):
    args, expected = PAGES[name]
    url = reverse(name, args=["riverside", *args])

    response = as_(personas[persona]).get(url)

    wanted = expected[PERSONAS.index(persona)]
    if wanted == LOGIN:
        assert (response.status_code, response["Location"]) == (302, f"/login/?next={url}")
    else:
        assert response.status_code == wanted


def test_the_community_menu_offers_notifications_to_members_and_messages_to_coordinators(member, coordinator):
    mina_sees = as_(member).get("/c/riverside/").content.decode()
    cora_sees = as_(coordinator).get("/c/riverside/").content.decode()

    assert f'href="{SETTINGS}"' in mina_sees and f'href="{LOG}"' not in mina_sees
    assert f'href="{SETTINGS}"' in cora_sees and f'href="{LOG}"' in cora_sees


# A member's settings


def test_the_settings_page_lists_each_kind_and_the_ones_always_sent(member):
    page = text(as_(member).get(SETTINGS))

    assert "News from the timebank" in page and "Alerts" in page
    assert "Always sent, because you need them to use Ostrom: Codes to confirm your phone number" in page
    assert "Urgent notices" in page.split("Always sent")[1], "an essential kind is shown as always on"
    assert "Your digest" not in page.split("Always sent")[0], "the digest is set in its own part"


def offered(response, name: str) -> list[str]:
    return re.findall(rf'name="{name}" value="(\w+)"', response.content.decode())


def test_texts_are_not_offered_without_a_confirmed_phone_and_the_page_says_why(member):
    response = as_(member).get(SETTINGS)

    assert offered(response, "kind_test_news") == ["email", "digest", "off"]
    assert offered(response, "digest_channel") == ["email"]
    assert "no confirmed phone number" in text(response)
    assert f'href="{PHONE}"' in response.content.decode()
    assert post_form(response, SETTINGS)["kind_test_news"] == "email"


def test_a_kind_that_goes_by_text_already_keeps_that_choice_on_offer(member):
    response = as_(member).get(SETTINGS)

    assert offered(response, "kind_test_alert") == ["email", "sms", "digest", "off"]
    assert save_settings(as_(member), kind_test_news="off").status_code == 302, "saving keeps it and succeeds"


def test_a_confirmed_phone_offers_texts_for_every_kind_and_the_digest(verified_mina):
    response = as_(verified_mina).get(SETTINGS)

    assert offered(response, "kind_test_news") == ["email", "sms", "digest", "off"]
    assert offered(response, "digest_channel") == ["email", "sms"]


def test_an_unconfirmed_phone_number_does_not_unlock_texts(member):
    member.user.phone = MINA_PHONE
    member.user.save(update_fields=["phone"])

    response = save_settings(as_(member), kind_test_news="sms")

    assert_problem(response, "Choose one of the ways shown.")
    assert not Preference.objects.exists()


def test_mina_chooses_how_each_kind_reaches_her(verified_mina):
    response = save_settings(as_(verified_mina), kind_test_news="sms", kind_test_alert="digest")

    assert response.status_code == 302
    assert response["Location"] == SETTINGS
    chosen = dict(Preference.objects.filter(member=verified_mina).values_list("kind", "channel"))
    assert chosen == {"test.news": "sms", "test.alert": "digest"}, "defaults left alone write no row"
    assert post_form(as_(verified_mina).get(SETTINGS), SETTINGS)["kind_test_news"] == "sms"


def test_saving_says_so(member):
    client = as_(member)

    response = save_settings(client, kind_test_news="off")

    assert "Your notification settings are saved." in text(client.get(response["Location"]))
    assert Preference.objects.get(member=member).channel == "off"


def test_digest_only_with_no_digest_warns_that_nothing_will_arrive(member):
    client = as_(member)

    response = save_settings(client, kind_test_news="digest", digest_frequency="off")

    assert "so you will not hear about those at all" in text(client.get(response["Location"]))


def test_mina_sets_quiet_hours_across_midnight_in_the_forms_people_write(member):
    save_settings(as_(member), quiet_from="9pm", quiet_until="08.00")

    row = NotificationSettings.objects.get(member=member)
    assert (row.quiet_from, row.quiet_until) == (time(21, 0), time(8, 0))
    fields = post_form(as_(member).get(SETTINGS), SETTINGS)
    assert (fields["quiet_from"], fields["quiet_until"]) == ("21:00", "08:00")


def test_clearing_both_times_turns_quiet_hours_off(member):
    preferences.set_quiet_hours(member, time(22, 0), time(7, 0))

    save_settings(as_(member), quiet_from="", quiet_until="")

    row = NotificationSettings.objects.get(member=member)
    assert (row.quiet_from, row.quiet_until) == (None, None)


def test_the_page_says_which_time_zone_quiet_hours_are_in(member):
    assert "time zone, Europe/London" in text(as_(member).get(SETTINGS))


def test_an_impossible_time_is_refused_and_nothing_typed_is_lost(member):
    response = save_settings(as_(member), quiet_from="25:00", quiet_until="07:00", kind_test_news="off")

    assert_problem(response, "Quiet hours start: Enter a time like 21:00 or 9pm.")
    fields = post_form(response, SETTINGS)
    assert (fields["quiet_from"], fields["quiet_until"], fields["kind_test_news"]) == ("25:00", "07:00", "off")
    assert not NotificationSettings.objects.exists() and not Preference.objects.exists()


def test_a_start_without_an_end_asks_for_the_end(member):
    response = save_settings(as_(member), quiet_from="21:00", quiet_until="")

    assert_problem(response, "Quiet hours end: Enter when your quiet hours end")
    assert not NotificationSettings.objects.exists()


def test_quiet_hours_that_start_when_they_end_undo_the_whole_save(member):
    response = save_settings(as_(member), quiet_from="21:00", quiet_until="9pm", kind_test_news="off")

    assert_problem(response, "Quiet hours must start and end at different times.")
    assert not Preference.objects.exists(), "the kind changed in the same save is not kept"


def test_mina_gets_a_daily_digest_by_text_once_her_phone_is_confirmed(verified_mina):
    save_settings(as_(verified_mina), digest_frequency="daily", digest_channel="sms")

    row = NotificationSettings.objects.get(member=verified_mina)
    assert (row.digest_frequency, row.digest_channel) == ("daily", "sms")


def test_the_digest_cannot_go_by_text_without_a_confirmed_phone(member):
    response = save_settings(as_(member), digest_frequency="daily")
    assert response.status_code == 302

    fields = post_form(as_(member).get(SETTINGS), SETTINGS)
    refused = as_(member).post(SETTINGS, fields | {"digest_channel": "sms"})

    assert_problem(refused)
    assert NotificationSettings.objects.get(member=member).digest_channel == "email"


# Texts on and off


def test_texts_on_explains_stop_and_start_and_mina_turns_them_off_on_the_web(verified_mina):
    client = as_(verified_mina)
    assert "Text STOP to Ostrom at any time" in text(client.get(SETTINGS))

    response = client.post(reverse("notify_texts", args=["riverside"]), {"texts": "off"})

    assert response["Location"] == SETTINGS + "#texts"
    assert SmsOptOut.objects.filter(phone=MINA_PHONE).exists()
    page = text(client.get(SETTINGS))
    assert "Texts are off." in page and "text START to Ostrom from this phone" in page


def test_after_stop_a_fresh_code_lets_mina_turn_texts_back_on_here(member, time_machine):
    time_machine.move_to(NOON, tick=False)
    member.user.phone = MINA_PHONE
    member.user.save(update_fields=["phone"])
    PhoneVerification.objects.create(
        user=member.user, phone=MINA_PHONE, code_hash="x", expires_at=NOON, verified_at=NOON - timedelta(days=9)
    )
    SmsOptOut.objects.create(phone=MINA_PHONE, opted_out_at=NOON - timedelta(days=1))
    client = as_(member)
    texts_url = reverse("notify_texts", args=["riverside"])

    assert "confirm that this phone is yours" in text(client.get(SETTINGS))
    refused = client.post(texts_url, {"texts": "on"})
    assert refused["Location"] == PHONE
    assert SmsOptOut.objects.exists(), "a confirmation from before the STOP does not undo it"

    PhoneVerification.objects.create(
        user=member.user, phone=MINA_PHONE, code_hash="x", expires_at=NOON, verified_at=NOON
    )
    assert "Turn texts back on" in text(client.get(SETTINGS))
    client.post(texts_url, {"texts": "on"})
    assert not SmsOptOut.objects.exists()


def test_without_a_phone_there_are_no_texts_to_turn_off(member):
    response = as_(member).post(reverse("notify_texts", args=["riverside"]), {"texts": "off"})

    assert response.status_code == 302
    assert not SmsOptOut.objects.exists()


# Confirming a phone number


def code_in(path) -> str:
    line = json.loads(path.read_text().splitlines()[-1])
    return re.search(r"\b(\d{6})\b", line["body"])[1]


def test_mina_confirms_her_phone_with_the_code_the_text_brings_and_can_then_choose_texts(member, sms_to_file):
    client = as_(member)

    response = client.post(PHONE, {"phone": "07700 900123"})
    assert response["Location"] == CODE
    assert "We have texted a code to +44 7700 900123" in text(client.get(CODE))
    outbox.drain()  # the worker sends it through the file adapter
    assert json.loads(sms_to_file.read_text().splitlines()[-1])["to"] == MINA_PHONE

    confirmed = client.post(CODE, {"code": code_in(sms_to_file)})

    assert confirmed["Location"] == SETTINGS
    assert User.objects.get(pk=member.user.pk).phone == MINA_PHONE
    settings_page = client.get(SETTINGS)
    assert "is confirmed" in text(settings_page)
    assert save_settings(client, kind_test_news="sms").status_code == 302


def test_an_invalid_number_is_refused_at_entry_and_nothing_is_texted(member):
    response = as_(member).post(PHONE, {"phone": "12345"})

    assert_problem(response, "Mobile phone number:")
    assert "phone number" in text(response).split(PROBLEM)[1]
    assert not Message.objects.exists() and not PhoneVerification.objects.exists()


def test_a_number_someone_else_has_is_refused(member):
    UserFactory(phone=MINA_PHONE)

    assert_problem(as_(member).post(PHONE, {"phone": MINA_PHONE}), "Another account already uses this phone number.")


def test_a_wrong_code_says_so_and_too_many_guesses_need_a_new_code(member):
    client = as_(member)
    client.post(PHONE, {"phone": MINA_PHONE})
    sent = re.search(r"\b(\d{6})\b", Message.objects.get().body)[1]
    wrong = f"{(int(sent) + 1) % 1_000_000:06d}"

    assert_problem(client.post(CODE, {"code": wrong}), "That code is not right.")
    for _ in range(preferences.MAX_CODE_ATTEMPTS - 1):
        client.post(CODE, {"code": wrong})
    refused = client.post(CODE, {"code": sent})

    assert_problem(refused, "That code was entered wrongly too often. Ask for a new one.")
    assert f'href="{PHONE}"' in refused.content.decode()
    assert User.objects.get(pk=member.user.pk).phone is None


def test_a_code_that_ran_out_says_so(member, time_machine):
    time_machine.move_to(NOON, tick=False)
    client = as_(member)
    client.post(PHONE, {"phone": MINA_PHONE})
    sent = re.search(r"\b(\d{6})\b", Message.objects.get().body)[1]

    time_machine.move_to(NOON + timedelta(minutes=11), tick=False)
    assert "There is no code waiting for you" in text(client.get(CODE))
    response = client.post(CODE, {"code": sent})

    assert_problem(response, "That code has run out or was never sent. Ask for a new one.")


def test_a_code_that_is_not_six_digits_is_refused_before_it_counts_as_a_guess(member):
    client = as_(member)
    client.post(PHONE, {"phone": MINA_PHONE})

    assert_problem(client.post(CODE, {"code": "12ab"}), "Enter the 6-digit code from the text message")
    assert PhoneVerification.objects.get().attempts == 0


# The coordinator's message log


@pytest.fixture
def outbox_rows(member, coordinator, outsider):
    """Mina's email (delivered), her dead text, Cora's queued email, and a Hillside message Cora must not see, oldest
    first. Each has its own last error, which the log shows, so a test can tell which rows are listed."""
    delivered = message_for(
        member, status="delivered", attempts=2, sent_at=timezone.now(), last_error="First try timed out."
    )
    dead = message_for(
        member, channel="sms", to_address=MINA_PHONE, kind="test.alert", status="dead", attempts=6,
        last_error="The provider said the number is not in service.",
    )  # fmt: skip
    queued = message_for(coordinator, kind="test.news", status="queued", last_error="The provider was busy.")
    hidden = message_for(outsider, to_address="otto@example.org", status="dead", last_error="Hillside trouble.")
    return {"delivered": delivered, "dead": dead, "queued": queued, "hidden": hidden}


def test_the_log_lists_the_communitys_messages_newest_first_with_addresses_masked(coordinator, outbox_rows):
    response = as_(coordinator).get(LOG)
    page = text(response)

    assert page.index("was busy") < page.index("not in service") < page.index("timed out")
    ids = [int(pk) for pk in re.findall(r"/manage/messages/(\d+)/retry/", response.content.decode())]
    assert ids == [outbox_rows["dead"].pk], "only the dead letter has a Retry button"
    assert "Alerts" in page and "text to number ending 0123" in page and "m…@example.org" in page
    assert "7700900123" not in page and "mina@example.org" not in page
    assert "The provider said the number is not in service." in page
    assert "Hillside trouble" not in page, "another community's messages stay out"


def test_dead_letters_are_announced_and_have_their_own_filter(coordinator, outbox_rows):
    page = text(as_(coordinator).get(LOG))
    assert "1 message gave up" in page

    dead_only = as_(coordinator).get(LOG, {"status": "dead"})
    assert re.findall(r"/manage/messages/(\d+)/retry/", dead_only.content.decode()) == [str(outbox_rows["dead"].pk)]
    assert "was busy" not in text(dead_only)


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ({"status": "queued"}, {"queued"}),
        ({"channel": "sms"}, {"dead"}),
        ({"channel": "email"}, {"delivered", "queued"}),
        ({"q": "mina"}, {"delivered", "dead"}),
        ({"q": "Cora Coord"}, {"queued"}),
        ({"q": "mina", "channel": "email"}, {"delivered"}),
        ({"status": "failed"}, set()),
    ],
)
def test_the_log_filters_by_status_channel_and_member(coordinator, outbox_rows, query, shown):
    response = as_(coordinator).get(LOG, query)

    assert response.status_code == 200
    page = text(response)
    assert {name for name, row in outbox_rows.items() if row.last_error in page} == shown


def test_a_bad_filter_value_is_explained_and_the_others_still_apply(coordinator, outbox_rows):
    response = as_(coordinator).get(LOG, {"status": "bogus", "channel": "sms"})

    assert_problem(response, "Choose a status from the list.")
    assert "not in service" in text(response) and "was busy" not in text(response)


def test_the_log_pages_and_keeps_the_filters_on_the_page_links(coordinator, member):
    for n in range(55):
        message_for(member, body=f"Message {n}")

    response = as_(coordinator).get(LOG, {"channel": "email"})

    assert "Page 1 of 2" in text(response)
    assert 'href="?channel=email&amp;page=2"' in response.content.decode()
    assert "Page 2 of 2" in text(as_(coordinator).get(LOG, {"channel": "email", "page": 2}))


def test_the_log_makes_the_same_number_of_queries_for_3_or_40_messages(
    coordinator, member, staff, django_assert_max_num_queries
):
    client = as_(coordinator)
    for person in (member, staff, coordinator):
        message_for(person, status="dead")
    client.get(LOG)
    with CaptureQueriesContext(connection) as few:
        assert client.get(LOG).status_code == 200
    for n in range(37):
        message_for(MemberFactory(community=member.community), status="dead" if n % 2 else "sent")

    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(LOG).status_code == 200


def test_retry_puts_a_dead_letter_back_in_the_queue_and_audits_it(coordinator, outbox_rows):
    dead = outbox_rows["dead"]
    client = as_(coordinator)

    response = client.post(reverse("notify_message_retry", args=["riverside", dead.pk]), {"back": "status=dead&x=1"})

    assert response["Location"] == LOG + "?status=dead"
    dead.refresh_from_db()
    assert (dead.status, dead.attempts, dead.last_error) == ("queued", 0, "")
    entry = AuditEntry.objects.get(action="notify.message_retried")
    assert (entry.actor, entry.member, entry.community) == (coordinator.user, dead.member, coordinator.community)
    assert "will be sent again" in text(client.get(response["Location"]))


def test_retrying_a_message_that_did_not_give_up_changes_nothing(coordinator, outbox_rows):
    queued = outbox_rows["queued"]
    client = as_(coordinator)

    response = client.post(reverse("notify_message_retry", args=["riverside", queued.pk]))

    assert "Not retried: Only a message that gave up can be retried." in text(client.get(response["Location"]))
    assert not AuditEntry.objects.filter(action="notify.message_retried").exists()


def test_only_coordinators_of_the_community_can_retry(member, coordinator, outbox_rows, other_community):
    dead, hidden = outbox_rows["dead"], outbox_rows["hidden"]
    hillside_coordinator = CoordinatorFactory(community=other_community)

    assert as_(member).post(reverse("notify_message_retry", args=["riverside", dead.pk])).status_code == 403
    assert as_(coordinator).post(reverse("notify_message_retry", args=["riverside", hidden.pk])).status_code == 404
    assert (
        as_(hillside_coordinator).post(reverse("notify_message_retry", args=["hillside", dead.pk])).status_code == 404
    )
    assert as_(hillside_coordinator).get(LOG).status_code == 403
    dead.refresh_from_db()
    assert dead.status == "dead"
    assert not AuditEntry.objects.filter(action="notify.message_retried").exists()
