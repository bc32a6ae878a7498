"""The SMS grammar, as a person on a basic phone meets it: forgiving of how they type, never guessing between two
commands, never crashing, and always answering with what to send instead."""

import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ostrom.notify.domain.sms_commands import (
    MAX_COMMAND_CHARS,
    ArgKind,
    ArgSpec,
    CommandSpec,
    ParsedCommand,
    ParseError,
    check_spec,
    format_command,
    help_text,
    normalise_amount,
    parse,
    usage,
)
from ostrom.notify.domain.sms_text import gsm7_septets, is_gsm7

WORD, AMOUNT, CODE, TEXT = ArgKind.WORD, ArgKind.AMOUNT, ArgKind.CODE, ArgKind.TEXT

# The commands of issue 5, plus two in the shape later issues will register (OFFERS with an optional word,
# WANT with required free text), so the properties cover every kind of argument in every position.
HELP = CommandSpec("HELP", summary="this list")
BAL = CommandSpec("BAL", aliases=("BALANCE",), summary="your balance")
PAY = CommandSpec(
    "PAY",
    (ArgSpec("member", WORD), ArgSpec("amount", AMOUNT), ArgSpec("memo", TEXT, optional=True)),
    summary="pay someone",
)
YES = CommandSpec("YES", (ArgSpec("code", CODE),), summary="confirm")
NO = CommandSpec("NO", (ArgSpec("code", CODE),), summary="cancel")
STOP = CommandSpec("STOP", aliases=("UNSUBSCRIBE",), summary="no more texts")
START = CommandSpec("START", summary="texts again")
SPECS = [HELP, BAL, PAY, YES, NO, STOP, START]
OFFERS = CommandSpec("OFFERS", (ArgSpec("category", WORD, optional=True),), summary="what people offer")
WANT = CommandSpec("WANT", (ArgSpec("what", TEXT),), summary="ask for help")
ALL_SPECS = [*SPECS, OFFERS, WANT]


def _is_valid_reply(message: str) -> bool:
    return bool(message) and is_gsm7(message) and gsm7_septets(message) <= 160


# --- never raises ---------------------------------------------------------------------------------------------

control_heavy = st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "So"]))
with_surrogates = st.text(alphabet=st.characters(categories=["Cs", "Lu", "Nd", "Zs"]))
command_like = st.lists(
    st.one_of(
        st.sampled_from(["pay", "PAY", "Pya", "bal", "yes", "no", "stop", "#", "1:30", "2h", "@sam", '"', "“", "٢"]),
        st.text(max_size=12),
    ),
    max_size=12,
).map(" ".join)


@settings(max_examples=400)
@given(st.one_of(st.text(), control_heavy, with_surrogates, command_like, st.text(min_size=400, max_size=3000)))
@example("\x00" * 10_000)
@example(" " * 100_000 + "bal")
@example("😀" * 1000)
@example("pay " + "9" * 5000)
@example("yes \ud800\udfff")
@example("\u200bSTOP\u200b")
@example("﷽" * 400)
def test_it_never_raises_and_always_answers_within_one_sms(text):
    result = parse(text, ALL_SPECS)
    if isinstance(result, ParseError):
        assert result.code
        assert _is_valid_reply(result.message)
        return
    spec = next(spec for spec in ALL_SPECS if spec.name == result.name)
    assert set(result.args) <= {arg.name for arg in spec.args}
    assert all(arg.name in result.args for arg in spec.args if not arg.optional)
    assert all(result.args.values())
    assert len(text.strip()) <= MAX_COMMAND_CHARS


# --- round trip -----------------------------------------------------------------------------------------------

words = (
    st.text(alphabet=st.characters(categories=["L", "N"], include_characters="-'._"), min_size=1, max_size=20)
    .filter(lambda word: any(char.isalnum() for char in word))
    .filter(lambda word: unicodedata.normalize("NFKC", word) == word)
)
digits = st.text(alphabet="0123456789", min_size=1, max_size=4)
amounts = st.one_of(
    st.integers(0, 10**6).map(str),
    st.tuples(st.integers(0, 10**6), digits).map(lambda pair: f"{pair[0]}.{pair[1]}"),
    st.tuples(st.integers(0, 10**5), st.integers(0, 59)).map(lambda pair: f"{pair[0]}:{pair[1]:02d}"),
)
codes = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=4, max_size=8)
# Free text: anything but whitespace (which collapses to one space) and control characters (which become spaces).
text_words = st.text(
    alphabet=st.characters(exclude_categories=["Cc", "Cs", "Zs", "Zl", "Zp"]).filter(lambda char: not char.isspace()),
    min_size=1,
    max_size=15,
)
texts = st.lists(
    st.one_of(text_words, st.sampled_from(["h", "hours", "30", "min", '"', "“", "”", "2"])), min_size=1, max_size=8
).map(" ".join)
VALUES = {WORD: words, AMOUNT: amounts, CODE: codes, TEXT: texts}


@st.composite
def commands(draw):
    spec = draw(st.sampled_from(ALL_SPECS))
    args = {}
    for arg in spec.args:
        # Optional arguments are filled left to right: "OFFERS" or "OFFERS garden", as people write them.
        if arg.optional and not draw(st.booleans()):
            break
        args[arg.name] = draw(VALUES[arg.kind])
    return spec, ParsedCommand(spec.name, args)


@settings(max_examples=400)
@given(commands())
@example((PAY, ParsedCommand("PAY", {"member": "sam", "amount": "2", "memo": "hours late"})))
@example((PAY, ParsedCommand("PAY", {"member": "sam", "amount": "1", "memo": "30 min"})))
@example((PAY, ParsedCommand("PAY", {"member": "sam", "amount": "1:30", "memo": '"quoted"'})))
@example((WANT, ParsedCommand("WANT", {"what": "“a lift”"})))
def test_it_reads_back_every_command_it_writes(spec_and_command):
    spec, command = spec_and_command
    assert parse(format_command(command, spec), ALL_SPECS) == command


@given(commands(), st.data())
def test_it_ignores_case_spacing_and_stray_punctuation_around_the_command_word(spec_and_command, data):
    spec, command = spec_and_command
    first, *rest = format_command(command, spec).split(" ")
    first = "".join(data.draw(st.sampled_from([char.lower(), char.upper()])) for char in first)
    first = data.draw(st.sampled_from(["", "#", "*"])) + first + data.draw(st.sampled_from(["", ".", "!", "?"]))
    gaps = st.text(alphabet=" \t\n\u00a0", min_size=1, max_size=3)
    text = data.draw(gaps) + first + "".join(data.draw(gaps) + word for word in rest) + data.draw(gaps)
    assert parse(text, ALL_SPECS) == command


# --- the ways people type -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "pay colin 1.5 garden help",
            ParsedCommand("PAY", {"member": "colin", "amount": "1.5", "memo": "garden help"}),
        ),
        ("PAY  Colin 1:30", ParsedCommand("PAY", {"member": "Colin", "amount": "1:30"})),
        ("Pya colin 2", ParsedCommand("PAY", {"member": "colin", "amount": "2"})),
        (
            "pay colin 2 hours for the garden",
            ParsedCommand("PAY", {"member": "colin", "amount": "2:00", "memo": "for the garden"}),
        ),
        ("pay @colin, 1h30", ParsedCommand("PAY", {"member": "colin", "amount": "1:30"})),
        (
            'pay colin 2 "hours of fun"',
            ParsedCommand("PAY", {"member": "colin", "amount": "2", "memo": "hours of fun"}),
        ),
        ("ＰＡＹ ｃｏｌｉｎ ２", ParsedCommand("PAY", {"member": "colin", "amount": "2"})),
        ("bal", ParsedCommand("BAL", {})),
        ("Balance", ParsedCommand("BAL", {})),
        ("balance?", ParsedCommand("BAL", {})),
        ("yes 4821", ParsedCommand("YES", {"code": "4821"})),
        ("YES4821", ParsedCommand("YES", {"code": "4821"})),
        ("yes ab12cd", ParsedCommand("YES", {"code": "AB12CD"})),
        ("yse 4821", ParsedCommand("YES", {"code": "4821"})),
        ("No 4821.", ParsedCommand("NO", {"code": "4821"})),
        ("#STOP", ParsedCommand("STOP", {})),
        ("stop.", ParsedCommand("STOP", {})),
        ("STOP please", ParsedCommand("STOP", {})),
        ("Stpo", ParsedCommand("STOP", {})),
        ("stp", ParsedCommand("STOP", {})),
        ("stip", ParsedCommand("STOP", {})),
        ("ballance", ParsedCommand("BAL", {})),
        ("unsubscribe", ParsedCommand("STOP", {})),
        ("\u200bstart", ParsedCommand("START", {})),
        ("- help", ParsedCommand("HELP", {})),
        ("hepl", ParsedCommand("HELP", {})),
        ("offers", ParsedCommand("OFFERS", {})),
        ("ofers garden", ParsedCommand("OFFERS", {"category": "garden"})),
        ("want a lift to the clinic", ParsedCommand("WANT", {"what": "a lift to the clinic"})),
    ],
)
def test_it_understands_what_people_actually_send(text, expected):
    assert parse(text, ALL_SPECS) == expected


@pytest.mark.parametrize("text", ["nobody", "payment", "balloon", "yesterday", "hello", "ok"])
def test_it_does_not_read_a_command_into_an_ordinary_word(text):
    assert parse(text, ALL_SPECS).code == "unknown_command"


def test_it_does_not_guess_between_two_commands_a_typo_is_equally_close_to():
    result = parse("bay", ALL_SPECS)
    assert result.code == "ambiguous_command"
    assert "BAL" in result.message
    assert "PAY" in result.message


def test_it_forgives_no_typo_in_a_two_letter_command():
    assert parse("mo 4821", ALL_SPECS).code == "unknown_command"


# --- what to send instead -------------------------------------------------------------------------------------


def test_it_says_what_pay_needs_when_the_amount_is_missing():
    result = parse("pay colin", ALL_SPECS)
    assert result == ParseError("missing_argument", "PAY needs a name and an amount, e.g. PAY SAM 1:30 garden help")


def test_it_asks_for_the_code_when_yes_comes_alone():
    result = parse("yes", ALL_SPECS)
    assert result == ParseError("missing_argument", "YES needs the code from our text, e.g. YES 4821")


def test_it_quotes_back_an_amount_it_cannot_read_and_shows_how_to_write_one():
    result = parse("pay colin lots", ALL_SPECS)
    assert result.code == "invalid_amount"
    assert '"lots"' in result.message
    assert "1:30 or 1.5" in result.message


def test_it_explains_that_a_name_is_one_word_when_the_amount_comes_later():
    result = parse("pay colin smith 2", ALL_SPECS)
    assert result.code == "invalid_amount"
    assert "one word for the name" in result.message


def test_it_asks_for_the_name_first_rather_than_swapping_name_and_amount():
    result = parse("pay 2 colin", ALL_SPECS)
    assert result.code == "invalid_amount"
    assert "Put the name before the amount" in result.message


def test_it_does_not_guess_whether_a_comma_groups_thousands():
    assert parse("pay colin 1,500", ALL_SPECS).code == "invalid_amount"
    assert parse("pay colin 1,500h", ALL_SPECS).code == "invalid_amount"


def test_it_explains_what_a_code_looks_like():
    result = parse("yes 48", ALL_SPECS)
    assert result.code == "invalid_code"
    assert "YES 4821" in result.message


def test_it_answers_unknown_text_with_the_help_text():
    result = parse("what is this", ALL_SPECS)
    assert result.code == "unknown_command"
    assert help_text(ALL_SPECS) in result.message
    assert _is_valid_reply(result.message)


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "#", "👍", "\u200b"])
def test_it_answers_an_empty_text_with_the_help_text(text):
    result = parse(text, SPECS)
    assert result.code == "empty"
    assert help_text(SPECS) in result.message


def test_it_refuses_a_text_over_the_limit_but_not_one_at_it():
    at_limit = "WANT " + "a" * (MAX_COMMAND_CHARS - 5)
    assert len(at_limit) == MAX_COMMAND_CHARS
    assert isinstance(parse(at_limit, ALL_SPECS), ParsedCommand)
    result = parse(at_limit + "a", ALL_SPECS)
    assert result.code == "too_long"
    assert "HELP" in result.message


# --- amounts --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("2", "2"),
        ("1.5", "1.5"),
        ("1,5", "1.5"),
        (".5", "0.5"),
        ("12.50", "12.50"),
        ("1:30", "1:30"),
        ("01:05", "1:05"),
        ("1h30", "1:30"),
        ("1H30M", "1:30"),
        ("1 h 30 min", "1:30"),
        ("1hr 5mins", "1:05"),
        ("2h", "2:00"),
        ("2 hours", "2:00"),
        ("1.5h", "1:30"),
        ("1.33h", "1.33"),
        ("90m", "1:30"),
        ("45 minutes", "0:45"),
        ("٢", "2"),
    ],
)
def test_it_normalises_the_ways_people_write_an_amount(typed, normalised):
    assert normalise_amount(typed) == normalised


@pytest.mark.parametrize("typed", ["", "two", "-2", "1:5", "1:75", "1,500", "1.2.3", "h", "2x", "£5", "1 30"])
def test_it_rejects_what_is_not_an_amount(typed):
    assert normalise_amount(typed) is None


@given(st.from_regex(r"\A *\d{0,4}([.,:]\d{0,3})? *(h|hr|hrs|hours?)? *\d{0,3} *(m|mins?|minutes?)? *\Z"))
def test_it_normalises_an_amount_to_a_fixed_point(typed):
    normalised = normalise_amount(typed)
    if normalised is not None:
        assert normalise_amount(normalised) == normalised


# --- help -----------------------------------------------------------------------------------------------------


def test_it_lists_every_command_with_its_summary_in_one_sms():
    text = help_text(SPECS)
    assert _is_valid_reply(text)
    assert "PAY name amount [note] - pay someone" in text
    assert all(f"{spec.name}" in text and spec.summary in text for spec in SPECS)


def test_it_shortens_the_help_but_keeps_every_command_name_when_there_are_many():
    many = [*ALL_SPECS, *(CommandSpec(name, summary="something rather long to say") for name in ("PICKUP", "CHECKIN"))]
    text = help_text(many)
    assert _is_valid_reply(text)
    assert all(spec.name in text for spec in many)


def test_it_writes_usage_with_optional_arguments_in_brackets():
    assert usage(PAY) == "PAY name amount [note]"
    assert usage(YES) == "YES code"


# --- specs ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec",
    [
        CommandSpec("pay"),
        CommandSpec("PAY2"),
        CommandSpec("BAL", aliases=("bal ance",)),
        CommandSpec("X", (ArgSpec("memo", TEXT), ArgSpec("member", WORD))),
        CommandSpec("X", (ArgSpec("a", WORD, optional=True), ArgSpec("b", WORD))),
        CommandSpec("X", (ArgSpec("a", WORD), ArgSpec("a", CODE))),
    ],
)
def test_it_refuses_a_spec_it_could_not_read_unambiguously(spec):
    with pytest.raises(ValueError):
        check_spec(spec)


def test_it_accepts_the_real_specs():
    for spec in ALL_SPECS:
        check_spec(spec)
