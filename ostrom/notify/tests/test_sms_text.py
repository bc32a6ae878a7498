"""SMS parts: what a phone receives must be what we meant, within what each part can carry, at the lowest cost."""

import itertools

from hypothesis import example, given
from hypothesis import strategies as st

from ostrom.notify.domain.sms_text import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    MAX_SEGMENTS,
    fit_one,
    gsm7_septets,
    is_gsm7,
    segments,
    to_gsm7,
)

GSM7_ALPHABET = "".join(sorted(GSM7_BASIC | GSM7_EXTENSION))
gsm7_texts = st.text(alphabet=GSM7_ALPHABET, max_size=800)
# Mostly GSM-7 with extension characters and the odd emoji, accent or CJK character: where the limits bite.
mixed_texts = st.text(
    alphabet=st.one_of(st.sampled_from(GSM7_ALPHABET), st.sampled_from("€^{}[]é😀𝄞中ê")), max_size=800
)
any_texts = st.text(max_size=800)


def _septets(text: str) -> int:
    """GSM 03.38 cost, written out here rather than taken from the module under test."""
    return sum(2 if char in "^{}\\[~]|€\f" else 1 for char in text)


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _cost_and_budget(text: str, parts: list[str]):
    gsm = is_gsm7(text)
    cost = _septets if gsm else _utf16_units
    if len(parts) == 1:
        return cost, 160 if gsm else 70
    return cost, 153 if gsm else 67


@given(st.one_of(gsm7_texts, mixed_texts, any_texts))
@example("€" * 200)
@example("a" * 152 + "€" + "b" * 10)
@example("😀" * 40)
def test_it_splits_any_text_into_parts_within_the_limits_that_join_back(text):
    parts = segments(text)
    cost, budget = _cost_and_budget(text, parts)
    assert len(parts) <= MAX_SEGMENTS
    assert all(0 < cost(part) <= budget for part in parts)
    joined = "".join(parts)
    if joined != text:
        marker = "..." if is_gsm7(text) else "…"
        assert len(parts) == MAX_SEGMENTS
        assert joined.endswith(marker)
        assert text.startswith(joined.removesuffix(marker))
    assert is_gsm7(joined) == is_gsm7(text)


@given(st.one_of(gsm7_texts, mixed_texts))
@example("a" * 152 + "€" + "b" * 10)
@example("a" * 66 + "😀" + "b" * 10)
def test_it_fills_each_part_and_starts_the_next_only_when_the_next_character_would_not_fit(text):
    """An escape pair or a surrogate pair that would straddle two parts moves whole to the next one."""
    parts = segments(text)
    if "".join(parts) != text:
        parts = parts[:-1]  # the last part of a cut text is shortened on purpose
    cost, budget = _cost_and_budget(text, parts)
    for part, following in itertools.pairwise(parts):
        assert cost(part) + cost(following[0]) > budget


def test_it_uses_the_full_160_characters_for_a_single_gsm7_message():
    assert segments("a" * 160) == ["a" * 160]


def test_it_splits_161_gsm7_characters_into_153_and_8():
    assert [len(part) for part in segments("a" * 161)] == [153, 8]


def test_it_counts_extension_characters_twice():
    assert segments("€" * 80) == ["€" * 80]
    assert [len(part) for part in segments("€" * 81)] == [76, 5]


def test_it_moves_an_escape_pair_that_would_straddle_parts_to_the_next_part():
    text = "a" * 152 + "€" + "b" * 10
    parts = segments(text)
    assert parts == ["a" * 152, "€" + "b" * 10]
    assert gsm7_septets(parts[0]) == 152


def test_it_sends_one_non_gsm_character_as_ucs2_with_70_characters():
    text = "Café ok ✓" + "x" * 61
    assert len(text) == 70
    assert segments(text) == [text]
    assert [len(part) for part in segments(text + "x")] == [67, 4]


def test_it_keeps_an_emoji_surrogate_pair_in_one_part():
    text = "a" * 66 + "😀" + "b" * 10
    parts = segments(text)
    assert parts[0] == "a" * 66
    assert parts[1].startswith("😀")


def test_it_cuts_a_very_long_text_after_four_parts_on_a_word_with_dots():
    text = " ".join(["garden"] * 200)
    parts = segments(text)
    assert len(parts) == MAX_SEGMENTS
    assert parts[-1].endswith("garden...")
    assert is_gsm7("".join(parts))


def test_it_marks_a_cut_ucs2_text_with_an_ellipsis():
    parts = segments("ü✓" * 300)
    assert len(parts) == MAX_SEGMENTS
    assert parts[-1].endswith("…")


def test_it_has_no_parts_for_an_empty_text():
    assert segments("") == []


def test_it_recognises_the_gsm7_alphabet():
    assert is_gsm7("Hello £5 @ Δ ü é {€}")
    assert not is_gsm7("Zoë")
    assert not is_gsm7("it’s")
    assert not is_gsm7("\x1b")


def test_it_replaces_typographic_characters_with_plain_ones():
    assert to_gsm7("It’s “fine” – really…") == 'It\'s "fine" - really...'
    assert to_gsm7("Zoë Ñuñez") == "Zoe Ñuñez"
    assert to_gsm7("中") == "?"


@given(any_texts)
@example("x" * 1000)
@example("€" * 100)
def test_it_fits_any_text_into_one_gsm7_message(text):
    fitted = fit_one(text)
    assert is_gsm7(fitted)
    assert gsm7_septets(fitted) <= 160


def test_it_leaves_a_short_gsm7_text_alone():
    assert fit_one("Your balance is 3 h 30 min.") == "Your balance is 3 h 30 min."


def test_it_shortens_on_a_word_boundary():
    fitted = fit_one("word " * 50)
    assert fitted.endswith("word...")
    assert len(fitted) <= 160
