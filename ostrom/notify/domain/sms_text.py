"""How text becomes SMS parts. A GSM-7 message carries 160 characters (153 a part when split), a message with
any other character goes as UCS-2 and carries only 70 (67 a part), so one curly quote can double the cost."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

# GSM 03.38 default alphabet, without ESC (0x1B): a bare escape is not a character anyone can type or read.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each of these is sent as ESC + a character, so it costs two septets.
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE_SEPTETS = 160
GSM7_PART_SEPTETS = 153  # 7 septets of each part go to the concatenation header
UCS2_SINGLE_UNITS = 70
UCS2_PART_UNITS = 67
# Four parts is already a long text on a basic phone, and every part is paid for; the rest is cut off.
MAX_SEGMENTS = 4

GSM7_ELLIPSIS = "..."  # "…" is not in GSM-7: adding it would turn the whole message into UCS-2
UCS2_ELLIPSIS = "…"
# When cutting, go back this far at most to end on a whole word.
WORD_BREAK_LOOKBACK = 20

# What phones and word processors put in text that GSM-7 has a plain equivalent for.
TRANSLITERATIONS = {
    "‘": "'",
    "’": "'",
    "‚": "'",
    "‛": "'",
    "′": "'",
    "`": "'",
    "´": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "‟": '"',
    "″": '"',
    "«": '"',
    "»": '"',
    "‐": "-",
    "‑": "-",
    "‒": "-",
    "–": "-",
    "—": "-",
    "―": "-",
    "−": "-",
    "…": "...",
    "•": "*",
    "·": ".",
    "×": "x",
    "\t": " ",
}


def is_gsm7(text: str) -> bool:
    """True if every character of ``text`` is in the GSM-7 alphabet (basic or extension table)."""
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def gsm7_septets(text: str) -> int:
    """How many septets ``text`` takes in GSM-7, counting extension characters twice. Only meaningful if is_gsm7."""
    return sum(_septets(char) for char in text)


def ucs2_units(text: str) -> int:
    """How many UTF-16 code units ``text`` takes in UCS-2; characters outside the BMP take a surrogate pair."""
    return sum(_units(char) for char in text)


def segments(text: str) -> list[str]:
    """Split ``text`` into the SMS parts a phone joins back together; cut off after MAX_SEGMENTS, marked "…".

    GSM-7 when every character allows it (160 alone, 153 a part), else UCS-2 (70 alone, 67 a part). An extension
    character's escape pair and a surrogate pair are never split. An empty text has no parts.
    """
    if not text:
        return []
    gsm = is_gsm7(text)
    cost = _septets if gsm else _units
    single, per_part = (GSM7_SINGLE_SEPTETS, GSM7_PART_SEPTETS) if gsm else (UCS2_SINGLE_UNITS, UCS2_PART_UNITS)
    if sum(cost(char) for char in text) <= single:
        return [text]
    parts = _pack(text, cost, per_part, MAX_SEGMENTS + 1)
    if len(parts) <= MAX_SEGMENTS:
        return parts
    ellipsis = GSM7_ELLIPSIS if gsm else UCS2_ELLIPSIS
    last = _cut(parts[MAX_SEGMENTS - 1] + parts[MAX_SEGMENTS], cost, per_part - sum(cost(c) for c in ellipsis))
    return [*parts[: MAX_SEGMENTS - 1], last + ellipsis]


def to_gsm7(text: str) -> str:
    """Replace characters GSM-7 lacks with their nearest plain equivalent (’ → ', é stays, ê → e), else "?"."""
    return "".join(_to_gsm7_char(char) for char in text)


def fit_one(text: str) -> str:
    """Shorten ``text`` to one GSM-7 message: transliterate what GSM-7 lacks, then cut on a word and end with "..."."""
    plain = to_gsm7(text)
    if gsm7_septets(plain) <= GSM7_SINGLE_SEPTETS:
        return plain
    return _cut(plain, _septets, GSM7_SINGLE_SEPTETS - len(GSM7_ELLIPSIS)) + GSM7_ELLIPSIS


def _septets(char: str) -> int:
    return 2 if char in GSM7_EXTENSION else 1


def _units(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def _pack(text: str, cost: Callable[[str], int], budget: int, max_parts: int) -> list[str]:
    """Greedy split into parts of at most ``budget``; stops after ``max_parts`` (the rest is not needed)."""
    parts: list[str] = []
    start, used = 0, 0
    for index, char in enumerate(text):
        size = cost(char)
        if used + size > budget:
            parts.append(text[start:index])
            if len(parts) == max_parts:
                return parts
            start, used = index, 0
        used += size
    parts.append(text[start:])
    return parts


def _cut(text: str, cost: Callable[[str], int], budget: int) -> str:
    """The longest start of ``text`` within ``budget``, ending on a whole word if one ends near the limit."""
    used, end = 0, 0
    for char in text:
        size = cost(char)
        if used + size > budget:
            break
        used += size
        end += 1
    if end == len(text):
        return text.rstrip()
    kept = text[:end]
    if not text[end].isspace():
        space = max(kept.rfind(" "), kept.rfind("\n"))
        if space >= 0 and end - space <= WORD_BREAK_LOOKBACK:
            kept = kept[:space]
    return kept.rstrip()


def _to_gsm7_char(char: str) -> str:
    if char in GSM7_BASIC or char in GSM7_EXTENSION:
        return char
    if char in TRANSLITERATIONS:
        return TRANSLITERATIONS[char]
    if char.isspace():
        return " "
    # "ê" → "e" + combining circumflex: keep the letters that GSM-7 has and drop the marks.
    decomposed = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    if decomposed and all(c in GSM7_BASIC for c in decomposed):
        return decomposed
    return "?"
