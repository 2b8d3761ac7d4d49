"""Political markets: PredictIt contracts onto the Polymarket markets that ask the same question.

A PredictIt contract is a proposition: a single-contract market's own question ("Will Joe Biden
resign during his first term?") or a market's question with one candidate ("Who will win the 2024
US presidential election?" + "Donald Trump"). A Polymarket market asks the same thing when the
candidate is named in it, its remaining wording is close (rapidfuzz on normalised content words),
and nothing that changes the answer differs: the numbers (years, "47th", "25 bps"), the direction
("increase" / "decrease", "above" / "below", "win" / "lose"), a negation, the people named, or an
end date weeks apart. The contract's Yes is then the Polymarket Yes token (or, for a market whose
outcomes are the candidates, the candidate's token); a contract is never paired with a No.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pandas as pd
from rapidfuzz import fuzz

from edge_assets.mapping.markets import AMBIGUOUS, MAPPED, UNMAPPED
from edge_assets.mapping.names import normalize_name

POLITICAL_COLUMNS = [
    "pi_market_id",
    "pi_contract_id",
    "pi_contract_name",
    "pm_market_id",
    "pm_token_id",
    "pm_outcome",
    "confidence",
    "status",
    "reason",
]
MIN_SIMILARITY = 80.0
# A runner-up this close to the best market makes the choice a guess.
AMBIGUITY_MARGIN = 5.0
MAX_END_GAP = timedelta(days=45)
# Agreeing end dates are the strongest corroboration; without one the wording carries it alone.
UNDATED_FACTOR = 0.9

_STOPWORDS = frozenset(
    "a an the will be is are to of in on by for at who what which does do did his her their its after before"
    " during next this that as and or than".split()
)
_NEGATIONS = frozenset({"not", "no", "never", "fail", "fails", "without"})
_DIRECTIONS = {
    **dict.fromkeys(("increase", "increases", "raise", "raises", "hike", "hikes"), "up"),
    **dict.fromkeys(("decrease", "decreases", "cut", "cuts", "lower", "reduce", "reduces"), "down"),
    **dict.fromkeys(("above", "over", "more", "higher", "exceed", "exceeds"), "above"),
    **dict.fromkeys(("below", "under", "less", "fewer"), "below"),
    **dict.fromkeys(("win", "wins", "won", "winner"), "win"),
    **dict.fromkeys(("lose", "loses", "lost"), "lose"),
}
_ORDINAL = re.compile(r"\b(\d+)(?:st|nd|rd|th)\b")
_COUNTRY = re.compile(r"\b(?:united states(?: of america)?|u s a|u s|usa)\b")
_CAPITALISED = re.compile(r"\b[A-Z][A-Za-z'\u2019.-]+")


def _words(text: str) -> list[str]:
    """Normalised words, ordinals as plain numbers and the United States as "us"."""
    return _ORDINAL.sub(r"\1", _COUNTRY.sub("us", normalize_name(text))).split()


def _proper_nouns(text: str) -> set[str]:
    """Capitalised words past the first (names of people, places, bodies), normalised."""
    found = _CAPITALISED.findall(text)[1:] if text[:1].isupper() else _CAPITALISED.findall(text)
    return {word for noun in found for word in _words(noun) if word not in _STOPWORDS}


@dataclass(frozen=True)
class _Proposition:
    """What a market or contract asks, reduced to the parts that decide whether two ask the same."""

    text: str
    words: frozenset[str]
    topic: str
    numbers: frozenset[str]
    directions: frozenset[str]
    negated: bool
    nouns: frozenset[str]

    @classmethod
    def of(cls, text: str, leave_out: frozenset[str] = frozenset()) -> _Proposition:
        words = _words(text)
        content = [w for w in words if w not in _STOPWORDS and w not in leave_out]
        return cls(
            text=text,
            words=frozenset(words),
            topic=" ".join(content),
            numbers=frozenset(w for w in words if w.isdigit()),
            directions=frozenset(_DIRECTIONS[w] for w in words if w in _DIRECTIONS),
            negated=any(w in _NEGATIONS for w in words),
            nouns=frozenset(_proper_nouns(text)),
        )

    def conflict(self, other: _Proposition) -> str | None:
        """Why the two cannot ask the same question, or None."""
        if self.numbers != other.numbers:
            return f"numbers differ ({sorted(self.numbers)} vs {sorted(other.numbers)})"
        if self.directions != other.directions:
            return f"direction differs ({sorted(self.directions)} vs {sorted(other.directions)})"
        if self.negated != other.negated:
            return "one question is negated"
        # Each side naming someone the other never mentions: two different people or places.
        if (self.nouns - other.words) and (other.nouns - self.words):
            return f"names differ ({sorted(self.nouns - other.words)} vs {sorted(other.nouns - self.words)})"
        return None


@dataclass(frozen=True)
class _Candidate:
    """A Polymarket token that would pay when the contract pays, and how well its market fits."""

    market_id: str
    token_id: str
    outcome: str
    similarity: float
    confidence: float


def _latest_contracts(predictit: pd.DataFrame) -> pd.DataFrame:
    """One row per contract: its latest snapshot."""
    return predictit.sort_values("timestamp", kind="stable").drop_duplicates("data_id", keep="last")


def _candidate_name(contract: Any, contracts_in_market: int) -> str | None:
    """The candidate a contract stands for, or None when the contract is its market's question."""
    if contracts_in_market == 1 or normalize_name(contract.contract_name) == normalize_name(
        contract.market_name
    ):
        return None
    return contract.contract_name


def _names(candidate: str, words: frozenset[str]) -> bool:
    """Whether a text's words name the candidate: its surname, and its first name if it has one."""
    parts = _words(candidate)
    return bool(parts) and parts[-1] in words and (len(parts) == 1 or parts[0] in words)


class _PolymarketQuestions:
    """Polymarket markets as propositions, with the token that pays for each candidate."""

    def __init__(self, markets: pd.DataFrame) -> None:
        self._markets = []
        for market in markets.itertuples(index=False):
            outcomes = json.loads(market.outcomes)
            tokens = json.loads(market.clob_token_ids)
            end = pd.Timestamp(market.end_ts) if pd.notna(market.end_ts) else None
            self._markets.append((market, dict(zip(outcomes, tokens, strict=True)), end))

    def candidates(self, question: str, candidate: str | None, end: pd.Timestamp | None) -> list[_Candidate]:
        found = []
        leave_out = frozenset(_words(candidate)) if candidate else frozenset()
        asked = _Proposition.of(f"{question} {candidate}" if candidate else question, leave_out)
        for market, tokens, pm_end in self._markets:
            yes_no = sorted(normalize_name(o) for o in tokens) == ["no", "yes"]
            words = frozenset(_words(market.question))
            if yes_no:
                if candidate and not _names(candidate, words):
                    continue
                outcome = next(o for o in tokens if normalize_name(o) == "yes")
                offered = _Proposition.of(market.question, leave_out)
            else:
                named = [o for o in tokens if candidate and _names(candidate, frozenset(_words(o)))]
                if len(named) != 1:
                    continue
                outcome = named[0]
                offered = _Proposition.of(f"{market.question} {outcome}", leave_out)
            if asked.conflict(offered) is not None:
                continue
            if end is not None and pm_end is not None and abs(end - pm_end) > MAX_END_GAP:
                continue
            similarity = 0.5 * (
                fuzz.token_set_ratio(asked.topic, offered.topic)
                + fuzz.token_sort_ratio(asked.topic, offered.topic)
            )
            if similarity < MIN_SIMILARITY:
                continue
            confidence = (
                similarity / 100.0 * (1.0 if end is not None and pm_end is not None else UNDATED_FACTOR)
            )
            found.append(
                _Candidate(
                    str(market.market_id), str(tokens[outcome]), outcome, similarity, round(confidence, 4)
                )
            )
        return sorted(found, key=lambda c: -c.similarity)


def match_political(predictit: pd.DataFrame, gamma_markets: pd.DataFrame) -> pd.DataFrame:
    """One row per PredictIt contract: the Polymarket token paying when it pays, or why there is none.

    `predictit` has the `market_data` columns (several snapshots per contract are fine: the latest
    is used); `gamma_markets` has the `markets` columns (sports markets are skipped). Status is
    `mapped`, `ambiguous` (two markets fit about equally well; both are named) or `unmapped`.
    """
    contracts = _latest_contracts(predictit)
    political = (
        gamma_markets[gamma_markets["sports_market_type"].isna()] if len(gamma_markets) else gamma_markets
    )
    questions = _PolymarketQuestions(political)
    per_market = contracts.groupby("market_id")["data_id"].transform("size")
    rows = []
    for contract, size in zip(contracts.itertuples(index=False), per_market, strict=True):
        candidate = _candidate_name(contract, size)
        end = pd.Timestamp(contract.date_end_ts) if pd.notna(contract.date_end_ts) else None
        found = questions.candidates(contract.market_name, candidate, end)
        row = {
            "pi_market_id": contract.market_id,
            "pi_contract_id": contract.data_id,
            "pi_contract_name": contract.contract_name,
            "pm_market_id": None,
            "pm_token_id": None,
            "pm_outcome": None,
            "confidence": 0.0,
            "status": UNMAPPED,
            "reason": "no Polymarket market asks the same question",
        }
        if len(found) > 1 and found[1].similarity > found[0].similarity - AMBIGUITY_MARGIN:
            row |= {
                "status": AMBIGUOUS,
                "reason": f"Polymarket markets {found[0].market_id} and {found[1].market_id} fit alike",
            }
        elif found:
            best = found[0]
            row |= {
                "pm_market_id": best.market_id,
                "pm_token_id": best.token_id,
                "pm_outcome": best.outcome,
                "confidence": best.confidence,
                "status": MAPPED,
                "reason": f"question similarity {best.similarity:.0f}"
                + ("" if best.confidence >= best.similarity / 100.0 else "; no end date to compare"),
            }
        rows.append(row)
    frame = pd.DataFrame(rows, columns=POLITICAL_COLUMNS)
    frame["confidence"] = frame["confidence"].astype(float)
    return frame
