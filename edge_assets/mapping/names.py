"""Normalising team and market names so that spelling variants compare equal."""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = re.compile(r"['\u2019`]")
_NON_ALPHANUMERIC = re.compile(r"[^0-9a-z]+")


def normalize_name(text: str) -> str:
    """A comparison key for a name: "Brighton & Hove Albion" and "brighton and hove albion" agree.

    Lower-cases, strips accents ("Montréal" -> "montreal"), drops apostrophes ("A's" -> "as"),
    reads "&" as "and" and "St"/"St." as "saint", turns other punctuation into spaces and collapses
    whitespace.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    ascii_text = _APOSTROPHES.sub("", ascii_text).replace("&", " and ")
    words = _NON_ALPHANUMERIC.sub(" ", ascii_text).split()
    return " ".join("saint" if word == "st" else word for word in words)
