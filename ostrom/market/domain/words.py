"""Turning what people type into words that compare: lower case, no stop words, simple English stems, so that
"Gardening", "gardens" and "gardener" meet as "garden". PostgreSQL's full-text search stems on its own (Snowball);
this small stemmer serves matching's text similarity and SQLite's search, where nothing else does."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Longer texts are cut before they are split: an ad's description is at most 4,000 characters anyway.
MAX_TEXT_CHARS = 5000
MIN_WORD_CHARS = 2
MAX_WORD_CHARS = 40

WORD = re.compile(r"[a-z0-9]+")

# Words too common in any English text to tell two texts apart; search drops them as PostgreSQL's does.
_ENGLISH = """
    a about after all also am an and any are as at be been but by can could do does for from had has have he her
    here him his how i if in into is it its just me more most my no not of on or our out over so some than that
    the their them then there these they this to too up us very was we were what when where which who will with
    would you your yours
"""
ENGLISH_STOP_WORDS = frozenset(_ENGLISH.split())
# Words every ad uses ("I can help with your garden" is about gardens): matching ignores them too.
_MARKET = """
    im ive id get got help helps helping helped offer offers offered offering want wants wanted need needs needed
    looking someone anyone thing things bit lot one please
"""
MARKET_STOP_WORDS = ENGLISH_STOP_WORDS | frozenset(_MARKET.split())

# Endings stripped, longest first; a stem keeps at least MIN_STEM_CHARS letters, so "sing" stays "sing".
SUFFIXES = ("ational", "ations", "ation", "ings", "ing", "ers", "er", "ies", "ied", "es", "ed", "ly", "s")
MIN_STEM_CHARS = 3
VOWELS = frozenset("aeiouy")


# Stems and tag keys repeat endlessly across ads; matching a request works out thousands, so they are remembered.
CACHED_WORDS = 20_000


def normalise(text: str) -> str:
    """Lower case, accents dropped ("café" → "cafe"), cut to a bounded length."""
    text = text[:MAX_TEXT_CHARS].lower()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@lru_cache(maxsize=CACHED_WORDS)
def stem(word: str) -> str:
    """A crude English stem: "gardening" → "garden", "lifts" → "lift", "shopping" → "shop", "tidied" → "tidy"."""
    for suffix in SUFFIXES:
        if not word.endswith(suffix) or len(word) - len(suffix) < MIN_STEM_CHARS:
            continue
        base = word[: -len(suffix)]
        if suffix in ("es",) and not base.endswith(("s", "x", "z", "ch", "sh")):
            base = word[:-1]  # "bikes" → "bike", but "boxes" → "box"
        if suffix == "s" and word.endswith(("ss", "us", "is")):
            return word  # "glass", "bus", "tennis"
        if suffix in ("ies", "ied"):
            base += "y"
        if not VOWELS & set(base):
            return word  # "bring" has no stem "br"
        if len(base) > MIN_STEM_CHARS and base[-1] == base[-2] and base[-1] not in "lsz" and suffix in ("ing", "ed"):
            base = base[:-1]  # "shopping" → "shop", but "falling" → "fall"
        return _without_e(base)
    return _without_e(word)


def _without_e(word: str) -> str:
    # "bake", "baker" and "baking" all meet at "bak"; a stem is a key, not a word anyone reads.
    return word[:-1] if word.endswith("e") and len(word) > MIN_STEM_CHARS else word


def words(text: str) -> frozenset[str]:
    """The distinct stems of the words in ``text`` that say what help it is about."""
    return frozenset(spellings(text))


def spellings(text: str) -> dict[str, str]:
    """Each stem of ``text``'s meaningful words with the first way ``text`` spells it ("trim" → "trimming"), so
    a reason can quote words as people wrote them."""
    found: dict[str, str] = {}
    for word in raw_words(text, MARKET_STOP_WORDS):
        found.setdefault(stem(word), word)
    return found


def raw_words(text: str, stop_words: frozenset[str] = ENGLISH_STOP_WORDS) -> list[str]:
    """The words of ``text`` worth looking for, in order, unstemmed, without repeats."""
    seen: dict[str, None] = {}
    for word in WORD.findall(normalise(text)):
        if MIN_WORD_CHARS <= len(word) <= MAX_WORD_CHARS and word not in stop_words:
            seen.setdefault(word, None)
    return list(seen)


@lru_cache(maxsize=CACHED_WORDS)
def tag_key(tag: str) -> str:
    """A tag as it compares with others: "Dog Walking" and "dog walks" are the same tag."""
    return " ".join(stem(word) for word in WORD.findall(normalise(tag))) or normalise(tag).strip()
