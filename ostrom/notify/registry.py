"""What other apps plug into notify, filled from their ``AppConfig.ready()`` so notify imports none of them:
message kinds, SMS commands, confirmers for YES/NO, and digest sections. Registering a key again replaces the
earlier entry in place, because ``ready()`` can run more than once (tests do it)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ostrom.notify.domain.sms_commands import CommandSpec, ParsedCommand, check_spec

if TYPE_CHECKING:
    from ostrom.communities.models import Community, Member, User

# The columns these keys are stored in: Message.kind, InboundSms.command, SmsConfirmation.confirmer.
MAX_KIND_CHARS = 60
MAX_COMMAND_CHARS = 20
MAX_CONFIRMER_CHARS = 40
MAX_SECTION_KEY_CHARS = 60
CHANNELS = ("email", "sms", "digest", "off")


@dataclass(frozen=True)
class MessageKind:
    key: str
    label: str
    essential: bool = False  # sent even to a number that sent STOP and in quiet hours (e.g. the STOP reply)
    default_channel: str = "email"


@dataclass(frozen=True)
class SmsContext:
    """Who sent an SMS: the number, and the account, membership and community it belongs to if any."""

    phone: str
    user: User | None
    member: Member | None
    community: Community | None


@dataclass(frozen=True)
class SmsReply:
    """What a command answers; ``confirm`` = (confirmer name, JSON payload) asks for YES/NO first."""

    text: str
    confirm: tuple[str, dict[str, Any]] | None = None


@dataclass(frozen=True)
class SmsCommand:
    spec: CommandSpec
    handler: Callable[[SmsContext, ParsedCommand], SmsReply]
    needs_member: bool = True  # False for commands strangers may send (HELP, STOP, START)


@dataclass(frozen=True)
class DigestSection:
    key: str
    title: str
    order: int  # sections appear in ascending order, then by key
    build: Callable[[Member, datetime, datetime], list[str]]  # lines for (member, start, end), [] for none


Confirmer = Callable[[SmsContext, dict[str, Any]], str]
# Answers YES <code> (accept=True) or NO <code> for codes an app keeps itself (an exchange's code, asked days
# before on the web), returning the reply text, or None when the code is not one of the app's.
CodeAnswerer = Callable[[SmsContext, str, bool], str | None]

_kinds: dict[str, MessageKind] = {}
_commands: dict[str, SmsCommand] = {}
_confirmers: dict[str, Confirmer] = {}
_sections: dict[str, DigestSection] = {}
_code_answerers: dict[str, CodeAnswerer] = {}


def register_kind(kind: MessageKind) -> None:
    """Make a kind of message known (its label shows on the preferences page); a known key is replaced."""
    _check_key(kind.key, MAX_KIND_CHARS, "message kind")
    if kind.default_channel not in CHANNELS:
        raise ValueError(f"A message kind's default channel is one of {CHANNELS}, not {kind.default_channel!r}.")
    _kinds[kind.key] = kind


def kinds() -> list[MessageKind]:
    """Every registered message kind, in the order first registered."""
    return list(_kinds.values())


def get_kind(key: str) -> MessageKind:
    """The kind registered as ``key``; KeyError if none is."""
    try:
        return _kinds[key]
    except KeyError:
        raise KeyError(f"No message kind {key!r} is registered; register it in an AppConfig.ready().") from None


def register_command(command: SmsCommand) -> None:
    """Make an SMS command available; a command of the same name is replaced. ValueError if a word clashes."""
    spec = command.spec
    check_spec(spec)
    _check_key(spec.name, MAX_COMMAND_CHARS, "command name")
    words = {spec.name, *spec.aliases}
    for other in _commands.values():
        clash = words & {other.spec.name, *other.spec.aliases}
        if other.spec.name != spec.name and clash:
            raise ValueError(f"{spec.name} and {other.spec.name} both answer to {', '.join(sorted(clash))}.")
    _commands[spec.name] = command


def commands() -> list[SmsCommand]:
    """Every registered SMS command, in the order first registered (the order HELP lists them in)."""
    return list(_commands.values())


def command_specs() -> list[CommandSpec]:
    """The grammar of every registered SMS command, for the parser and the help text."""
    return [command.spec for command in _commands.values()]


def get_command(name: str) -> SmsCommand:
    """The command whose canonical name is ``name`` (as in ParsedCommand.name); KeyError if none is."""
    try:
        return _commands[name]
    except KeyError:
        raise KeyError(f"No SMS command {name!r} is registered.") from None


def register_confirmer(name: str, confirm: Confirmer) -> None:
    """Say what runs when someone answers YES to a confirmation named ``name``; it returns the reply text."""
    _check_key(name, MAX_CONFIRMER_CHARS, "confirmer name")
    _confirmers[name] = confirm


def get_confirmer(name: str) -> Confirmer:
    """The confirmer registered as ``name``; KeyError if none is."""
    try:
        return _confirmers[name]
    except KeyError:
        raise KeyError(f"No SMS confirmer {name!r} is registered.") from None


def register_code_answerer(name: str, answer: CodeAnswerer) -> None:
    """Let an app answer YES/NO <code> for codes it issued itself; asked, in registration order, before notify
    looks among the confirmations it stored (whose codes the app's must not be able to take: use another length)."""
    _check_key(name, MAX_CONFIRMER_CHARS, "code answerer name")
    _code_answerers[name] = answer


def code_answerers() -> list[CodeAnswerer]:
    """Every registered code answerer, in the order first registered."""
    return list(_code_answerers.values())


def register_digest_section(section: DigestSection) -> None:
    """Add a section to every digest; a section with the same key is replaced."""
    _check_key(section.key, MAX_SECTION_KEY_CHARS, "digest section key")
    _sections[section.key] = section


def digest_sections() -> list[DigestSection]:
    """Every digest section in the order a digest shows them: by ``order``, then key."""
    return sorted(_sections.values(), key=lambda section: (section.order, section.key))


@contextmanager
def isolated() -> Iterator[None]:
    """For tests: what is registered or replaced inside the block is forgotten when it ends."""
    tables: tuple[dict[str, Any], ...] = (_kinds, _commands, _confirmers, _sections, _code_answerers)
    saved = [dict(table) for table in tables]
    try:
        yield
    finally:
        for table, contents in zip(tables, saved, strict=True):
            table.clear()
            table.update(contents)


def _check_key(key: str, max_chars: int, what: str) -> None:
    if not key or len(key) > max_chars:
        raise ValueError(f"A {what} has 1 to {max_chars} characters, not {key!r}.")
