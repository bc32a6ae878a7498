"""The registries other apps fill at start-up: a second registration replaces the first, order is predictable,
and asking for what nobody registered says so."""

import pytest

from ostrom.notify import registry
from ostrom.notify.domain.sms_commands import ArgKind, ArgSpec, CommandSpec, ParsedCommand
from ostrom.notify.registry import DigestSection, MessageKind, SmsCommand, SmsReply


@pytest.fixture(autouse=True)
def isolated_registry():
    with registry.isolated():
        yield


def _reply(text):
    return lambda context, command: SmsReply(text)


def _section(key, order, line="a line"):
    return DigestSection(key=key, title=key.title(), order=order, build=lambda member, start, end: [line])


def test_it_replaces_a_kind_registered_again_without_a_duplicate():
    registry.register_kind(MessageKind("test.payment", "Payments"))
    registry.register_kind(MessageKind("test.other", "Other"))
    registry.register_kind(MessageKind("test.payment", "Payments received", essential=True))
    keys = [kind.key for kind in registry.kinds()]
    assert keys.count("test.payment") == 1
    assert keys.index("test.payment") < keys.index("test.other")  # replaced in place
    assert registry.get_kind("test.payment") == MessageKind("test.payment", "Payments received", essential=True)


def test_it_says_which_kind_is_unknown():
    with pytest.raises(KeyError, match=r"test\.nobody"):
        registry.get_kind("test.nobody")


def test_it_refuses_a_kind_with_a_channel_that_does_not_exist():
    with pytest.raises(ValueError):
        registry.register_kind(MessageKind("test.pigeon", "Pigeon post", default_channel="pigeon"))


def test_it_refuses_a_kind_key_longer_than_its_column():
    with pytest.raises(ValueError):
        registry.register_kind(MessageKind("x" * 61, "Too long"))


def test_it_replaces_a_command_registered_again_and_hands_the_new_spec_to_the_parser():
    first = CommandSpec("ZAP", summary="first")
    second = CommandSpec("ZAP", (ArgSpec("who", ArgKind.WORD),), aliases=("ZAPP",), summary="second")
    registry.register_command(SmsCommand(first, _reply("one")))
    registry.register_command(SmsCommand(second, _reply("two"), needs_member=False))
    assert [spec for spec in registry.command_specs() if spec.name == "ZAP"] == [second]
    assert len([command for command in registry.commands() if command.spec.name == "ZAP"]) == 1
    command = registry.get_command("ZAP")
    assert command.needs_member is False
    assert command.handler(None, ParsedCommand("ZAP", {"who": "sam"})) == SmsReply("two")


def test_it_refuses_a_command_word_another_command_already_answers_to():
    registry.register_command(SmsCommand(CommandSpec("ZAP", aliases=("ZING",)), _reply("zap")))
    with pytest.raises(ValueError, match="ZING"):
        registry.register_command(SmsCommand(CommandSpec("ZOOM", aliases=("ZING",)), _reply("zoom")))
    with pytest.raises(ValueError, match="ZAP"):
        registry.register_command(SmsCommand(CommandSpec("ZING"), _reply("zing")))


def test_it_refuses_a_command_the_parser_could_not_read():
    with pytest.raises(ValueError):
        registry.register_command(SmsCommand(CommandSpec("zap"), _reply("zap")))


def test_it_says_which_command_is_unknown():
    with pytest.raises(KeyError, match="NOPE"):
        registry.get_command("NOPE")


def test_it_replaces_a_confirmer_registered_again():
    registry.register_confirmer("test.pay", lambda context, payload: "old")
    registry.register_confirmer("test.pay", lambda context, payload: f"paid {payload['amount']}")
    assert registry.get_confirmer("test.pay")(None, {"amount": "1:30"}) == "paid 1:30"


def test_it_says_which_confirmer_is_unknown():
    with pytest.raises(KeyError, match=r"test\.nobody"):
        registry.get_confirmer("test.nobody")


def test_it_orders_digest_sections_by_their_order_then_key_whatever_the_registration_order():
    registry.register_digest_section(_section("test.zebra", 900))
    registry.register_digest_section(_section("test.apple", 900))
    registry.register_digest_section(_section("test.first", -900))
    mine = [section.key for section in registry.digest_sections() if section.key.startswith("test.")]
    assert mine == ["test.first", "test.apple", "test.zebra"]


def test_it_moves_a_digest_section_registered_again_with_another_order():
    registry.register_digest_section(_section("test.a", 901))
    registry.register_digest_section(_section("test.b", 902))
    registry.register_digest_section(_section("test.a", 903, line="new"))
    mine = [section for section in registry.digest_sections() if section.key.startswith("test.")]
    assert [section.key for section in mine] == ["test.b", "test.a"]
    assert mine[1].build(None, None, None) == ["new"]


def test_it_forgets_what_was_registered_inside_an_isolated_block():
    with registry.isolated():
        registry.register_kind(MessageKind("test.temporary", "Temporary"))
        registry.register_digest_section(_section("test.temporary", 1))
        assert registry.get_kind("test.temporary")
    assert "test.temporary" not in [kind.key for kind in registry.kinds()]
    assert "test.temporary" not in [section.key for section in registry.digest_sections()]


def test_it_replies_without_asking_for_confirmation_unless_told_to():
    assert SmsReply("Your balance is 2 h.").confirm is None
