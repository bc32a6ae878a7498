"""The SMS command grammar and its parser. People text from basic phones, in a hurry, with predictive text: the
parser ignores case, spacing and stray punctuation, fixes a one-letter slip in a command word when only one
command fits, and answers anything it cannot read with what to send instead. It never raises on any input."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ostrom.notify.domain.sms_text import fit_one, gsm7_septets, to_gsm7

# Three SMS parts. Anything longer is not a command, and bounding it bounds the parser's work.
MAX_COMMAND_CHARS = 480
MAX_WORD_CHARS = 60
# "1 h 30 min" is four words; an amount never needs more.
MAX_AMOUNT_WORDS = 4
MIN_CODE_CHARS = 4
MAX_CODE_CHARS = 8
# A one-letter slip is only forgiven in command words this long: in shorter ones it changes the word.
MIN_TYPO_CHARS = 3
# How much of an unreadable word we quote back.
MAX_ECHO_CHARS = 20
SMS_CHARS = 160


class ArgKind(StrEnum):
    WORD = "word"  # one word, e.g. a member's name or handle
    AMOUNT = "amount"  # 2, 1.5, 1:30, 1h30, 90m, 2h
    CODE = "code"  # 4-8 letters or digits, e.g. a confirmation code
    TEXT = "text"  # the rest of the message, e.g. a memo


@dataclass(frozen=True)
class ArgSpec:
    name: str
    kind: ArgKind
    optional: bool = False


@dataclass(frozen=True)
class CommandSpec:
    name: str
    args: tuple[ArgSpec, ...] = ()
    aliases: tuple[str, ...] = ()
    summary: str = ""


@dataclass(frozen=True)
class ParsedCommand:
    name: str  # the spec's canonical name, e.g. "BAL" for "balance"
    args: Mapping[str, str]  # argument values as normalised text; an absent optional argument has no key


@dataclass(frozen=True)
class ParseError:
    code: str  # empty, too_long, unknown_command, ambiguous_command, missing_argument, invalid_amount, ...
    message: str  # the reply to send: one GSM-7 SMS saying what to send instead


# Words residents use for common argument names, in usage lines and error messages.
PLAIN_NAMES = {"member": "name", "memo": "note"}
EXAMPLES = {ArgKind.WORD: "SAM", ArgKind.AMOUNT: "1:30", ArgKind.CODE: "4821", ArgKind.TEXT: "garden help"}
OPENING_QUOTES = frozenset('"“„')
CLOSING_QUOTES = frozenset('"”“')

DECIMAL = re.compile(r"(?P<whole>\d{1,9})?(?:(?P<sep>[.,])(?P<fraction>\d{1,6})?)?", re.ASCII)
HOURS_MINUTES = re.compile(r"(?P<hours>\d{1,6}):(?P<minutes>[0-5]\d)", re.ASCII)
HOURS_UNIT = r"h(?:ours?|rs?)?"
MINUTES_UNIT = r"m(?:in(?:ute)?s?)?"
WITH_UNITS = re.compile(
    rf"(?P<hours>\d{{1,6}}(?:[.,]\d{{1,4}})?)\s*{HOURS_UNIT}(?:\s*(?P<minutes>\d{{1,4}})\s*(?:{MINUTES_UNIT})?)?"
    rf"|(?P<only_minutes>\d{{1,6}})\s*{MINUTES_UNIT}",
    re.ASCII,
)
CODE = re.compile(rf"[A-Za-z0-9]{{{MIN_CODE_CHARS},{MAX_CODE_CHARS}}}", re.ASCII)
# "YES4821", "pay:sam": a command word run into its first argument. The argument must not start with a letter,
# or "nobody" would read as NO with the code BODY.
GLUED = re.compile(r"(?P<command>[^\W\d_]+)(?=[\W\d_])[\W_]*(?P<rest>.+)")


def check_spec(spec: CommandSpec) -> None:
    """Raise ValueError for a spec the parser could not read unambiguously (a programming mistake)."""
    for word in (spec.name, *spec.aliases):
        if not word.isalpha() or word != word.upper():
            raise ValueError(f"Command names and aliases are capital letters only, not {word!r}.")
    names = [arg.name for arg in spec.args]
    if len(set(names)) != len(names):
        raise ValueError(f"{spec.name} names an argument twice.")
    for position, arg in enumerate(spec.args):
        if arg.kind is ArgKind.TEXT and position != len(spec.args) - 1:
            raise ValueError(f"{spec.name}: a text argument takes the rest of the message, so it must come last.")
        if position and spec.args[position - 1].optional and not arg.optional:
            raise ValueError(f"{spec.name}: a required argument cannot follow an optional one.")


def parse(text: str, specs: Sequence[CommandSpec]) -> ParsedCommand | ParseError:
    """Read one SMS as a command of ``specs``, or say in one SMS what to send instead."""
    stripped = text.strip()
    if len(stripped) > MAX_COMMAND_CHARS:
        return _error("too_long", f"Sorry, that text is too long. Send one command at a time. {_help_hint(specs)}")
    words = _words(stripped)
    if not words:
        return _error("empty", _with_help("Please send a command.", specs))
    spec, rest, candidates = _match(words[0], specs)
    if spec is None and candidates:
        names = " or ".join(candidate.name for candidate in candidates)
        return _error("ambiguous_command", f"Did you mean {names}? Please send it again. {_help_hint(specs)}")
    if spec is None:
        return _error("unknown_command", _with_help("Sorry, we didn't understand that.", specs))
    return _parse_args(spec, [*rest, *words[1:]])


def format_command(command: ParsedCommand, spec: CommandSpec) -> str:
    """The text that parses back to ``command``: the inverse of parse."""
    words = [spec.name, *(command.args[arg.name] for arg in spec.args if arg.name in command.args)]
    plain = " ".join(words)
    last = spec.args[-1] if spec.args else None
    if last is None or last.kind is not ArgKind.TEXT or last.name not in command.args:
        return plain
    if parse(plain, [spec]) == command:
        return plain
    # The text would be read as part of the argument before it ("2" then "hours late" reads as 2 hours), or
    # is itself in quotes: quotes around it keep it whole, and parse takes one pair off.
    return " ".join([*words[:-1], f'"{words[-1]}"'])


def usage(spec: CommandSpec) -> str:
    """How to write a command, e.g. "PAY name amount [note]"."""
    placeholders = [f"[{_plain_name(arg)}]" if arg.optional else _plain_name(arg) for arg in spec.args]
    return " ".join([spec.name, *placeholders])


def example(spec: CommandSpec) -> str:
    """A command written out in full, e.g. "PAY SAM 1:30 garden help"."""
    return " ".join([spec.name, *(EXAMPLES[arg.kind] for arg in spec.args)])


def help_text(specs: Sequence[CommandSpec]) -> str:
    """The commands with what each does, as much as fits one GSM-7 SMS."""
    full = [f"{usage(spec)} - {spec.summary}" if spec.summary else usage(spec) for spec in specs]
    brief = [f"{spec.name} - {spec.summary}" if spec.summary else spec.name for spec in specs]
    names = ", ".join(spec.name for spec in specs)
    # From most to least helpful: the first that fits one message wins.
    for candidate in (
        "Text one of these:\n" + "\n".join(full),
        "\n".join(full),
        "Text one of these:\n" + "\n".join(brief),
        "\n".join(brief),
        "\n".join(usage(spec) for spec in specs),
        f"Text one of: {names}",
    ):
        if _fits(candidate):
            return to_gsm7(candidate)
    return fit_one(f"Text one of: {names}")


def normalise_amount(text: str) -> str | None:
    """An amount as the ledger reads it ("1h30" → "1:30", "1,5" → "1.5", "90 min" → "1:30"), or None."""
    raw = " ".join(_ascii_digits(unicodedata.normalize("NFKC", text)).casefold().split())
    match = HOURS_MINUTES.fullmatch(raw)
    if match:
        return _hours_minutes(int(match["hours"]) * 60 + int(match["minutes"]))
    match = WITH_UNITS.fullmatch(raw)
    if match and match["only_minutes"]:
        return _hours_minutes(int(match["only_minutes"]))
    if match:
        if re.fullmatch(r"\d+,\d{3}", match["hours"]):
            return None  # "1,500h": thousands or a decimal comma, see _decimal
        whole, _, fraction = match["hours"].replace(",", ".").partition(".")
        minutes = int(whole) * 60 + int(match["minutes"] or 0)
        if not fraction:
            return _hours_minutes(minutes)
        # Decimal hours: exact minutes read best as h:mm; anything finer stays a decimal for the app to refuse.
        numerator = int(fraction) * 60
        if numerator % 10 ** len(fraction):
            return f"{int(whole)}.{fraction}"
        return _hours_minutes(minutes + numerator // 10 ** len(fraction))
    return _decimal(raw)


def _decimal(raw: str) -> str | None:
    match = DECIMAL.fullmatch(raw)
    if not match or not (match["whole"] or match["fraction"]):
        return None
    whole = str(int(match["whole"] or "0"))
    if not match["fraction"]:
        return whole
    # "1,500" is a thousand and a half in Britain and one and a half elsewhere: ask rather than guess.
    if match["sep"] == "," and len(match["fraction"]) == 3:
        return None
    return f"{whole}.{match['fraction']}"


def _hours_minutes(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


def _words(text: str) -> list[str]:
    """Words of the message without control characters; leading words with no letter or digit ("#", "-") go."""
    words = "".join(" " if unicodedata.category(char) == "Cc" else char for char in text).split()
    start = 0
    while start < len(words) and not any(char.isalnum() for char in words[start]):
        start += 1
    return words[start:]


def _match(word: str, specs: Sequence[CommandSpec]) -> tuple[CommandSpec | None, list[str], list[CommandSpec]]:
    """The command ``word`` names, the argument glued to it ("YES4821"), and the candidates if ambiguous."""
    folded = _strip_punctuation(_fold(word))
    keys = {_fold(key): spec for spec in specs for key in (spec.name, *spec.aliases)}
    if folded in keys:
        return keys[folded], [], []
    glued = GLUED.fullmatch(_normalise(word))
    if glued and _fold(glued["command"]) in keys:
        return keys[_fold(glued["command"])], [glued["rest"]], []
    candidates: list[CommandSpec] = []
    for key, spec in keys.items():
        if len(key) >= MIN_TYPO_CHARS and spec not in candidates and _one_edit_apart(folded, key):
            candidates.append(spec)
    if len(candidates) == 1:
        return candidates[0], [], []
    return None, [], candidates


def _parse_args(spec: CommandSpec, words: list[str]) -> ParsedCommand | ParseError:
    values: dict[str, str] = {}
    position = 0
    for arg in spec.args:
        if arg.kind is ArgKind.TEXT:
            value = _text(words[position:])
            position = len(words)
        elif position < len(words):
            value, used = _read(arg.kind, words, position)
            position += used
        else:
            value = None
        if value:
            values[arg.name] = value
            continue
        if arg.optional:
            continue
        return _missing_or_invalid(spec, arg, words, position)
    # Words after the last argument ("STOP please", "YES 4821 thanks") are ignored: the command is clear.
    return ParsedCommand(spec.name, values)


def _read(kind: ArgKind, words: list[str], position: int) -> tuple[str | None, int]:
    """The value of one argument starting at ``words[position]`` and how many words it took, or (None, 0)."""
    if kind is ArgKind.AMOUNT:
        for count in range(min(MAX_AMOUNT_WORDS, len(words) - position), 0, -1):
            amount = normalise_amount(" ".join(words[position : position + count]))
            if amount is not None:
                return amount, count
        return None, 0
    word = words[position]
    if kind is ArgKind.CODE:
        code = _strip_punctuation(_ascii_digits(_normalise(word)))
        return (code.upper(), 1) if CODE.fullmatch(code) else (None, 0)
    # A name may come as "@sam" or "sam," and still means sam.
    name = _normalise(word).lstrip("@").rstrip(",;:")
    if len(name) > MAX_WORD_CHARS or not any(char.isalnum() for char in name):
        return None, 0
    return name, 1


def _missing_or_invalid(spec: CommandSpec, arg: ArgSpec, words: list[str], position: int) -> ParseError:
    if position >= len(words) or arg.kind is ArgKind.TEXT:
        required = [_noun(each) for each in spec.args if not each.optional]
        return _error("missing_argument", f"{spec.name} needs {_and(required)}, e.g. {example(spec)}")
    kinds = {ArgKind.AMOUNT: "an amount", ArgKind.CODE: "a code", ArgKind.WORD: "a name"}
    echo = words[position][:MAX_ECHO_CHARS]
    hint = _hint(spec, arg, words, position)
    return _error(f"invalid_{arg.kind}", f'Sorry, "{echo}" is not {kinds[arg.kind]}. {hint}')


def _hint(spec: CommandSpec, arg: ArgSpec, words: list[str], position: int) -> str:
    """What to send instead of ``words[position]``, which is not a valid ``arg``."""
    index = spec.args.index(arg)
    before = spec.args[index - 1] if index else None
    if before is not None and before.kind is ArgKind.WORD and not before.optional:
        if arg.kind is ArgKind.AMOUNT and normalise_amount(words[position - 1]) is not None:
            # "PAY 2 colin": both are there, the other way round. A name can be a number, so ask, don't swap.
            return f"Put the {_plain_name(before)} before the amount, e.g. {example(spec)}"
        if any(_read(arg.kind, words, later)[0] for later in range(position + 1, len(words))):
            # "PAY colin smith 2": the amount is there, the name was two words.
            return f"Use one word for the {_plain_name(before)}, e.g. {example(spec)}"
    if arg.kind is ArgKind.AMOUNT:
        return f"Send the amount like 1:30 or 1.5, e.g. {example(spec)}"
    return f"Send {_noun(arg)}, e.g. {example(spec)}"


def _text(words: list[str]) -> str | None:
    text = " ".join(words)
    if len(text) >= 2 and text[0] in OPENING_QUOTES and text[-1] in CLOSING_QUOTES:
        text = text[1:-1].strip()
    return text or None


def _noun(arg: ArgSpec) -> str:
    if arg.kind is ArgKind.CODE:
        return "the code from our text"
    plain = _plain_name(arg)
    return f"{'an' if plain[:1] in 'aeiou' else 'a'} {plain}"


def _plain_name(arg: ArgSpec) -> str:
    return PLAIN_NAMES.get(arg.name, arg.name.replace("_", " "))


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _help_hint(specs: Sequence[CommandSpec]) -> str:
    if any(spec.name == "HELP" for spec in specs):
        return "Text HELP for the list."
    return "Text one of: " + ", ".join(spec.name for spec in specs)


def _with_help(sentence: str, specs: Sequence[CommandSpec]) -> str:
    help_ = help_text(specs)
    return f"{sentence}\n{help_}" if _fits(f"{sentence}\n{help_}") else help_


def _error(code: str, message: str) -> ParseError:
    return ParseError(code, fit_one(message))


def _fits(text: str) -> bool:
    return gsm7_septets(to_gsm7(text)) <= SMS_CHARS


def _normalise(word: str) -> str:
    """Full-width and styled letters become plain ones; invisible format characters (zero-width space) go."""
    return "".join(char for char in unicodedata.normalize("NFKC", word) if unicodedata.category(char) != "Cf")


def _fold(word: str) -> str:
    return _normalise(word).casefold()


def _strip_punctuation(word: str) -> str:
    start, end = 0, len(word)
    while start < end and not word[start].isalnum():
        start += 1
    while end > start and not word[end - 1].isalnum():
        end -= 1
    return word[start:end]


def _ascii_digits(text: str) -> str:
    """Digits of any script ("٢", "२") as ASCII digits, so amounts and codes read the same from any phone."""
    return "".join(str(unicodedata.decimal(char)) if char.isdecimal() else char for char in text)


def _one_edit_apart(typed: str, key: str) -> bool:
    """Damerau-Levenshtein distance of at most one: one letter added, dropped, changed or two swapped."""
    if abs(len(typed) - len(key)) > 1:
        return False
    if len(typed) == len(key):
        differences = [index for index, (a, b) in enumerate(zip(typed, key, strict=True)) if a != b]
        if len(differences) <= 1:
            return True
        first, second = differences[0], differences[-1]
        return (
            len(differences) == 2
            and second == first + 1
            and typed[first] == key[second]
            and typed[second] == key[first]
        )
    shorter, longer = sorted((typed, key), key=len)
    index = next((i for i, (a, b) in enumerate(zip(shorter, longer, strict=False)) if a != b), len(shorter))
    return shorter[index:] == longer[index + 1 :]
