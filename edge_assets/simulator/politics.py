"""Political contracts: PredictIt markets and the Polymarket Yes/No markets that mirror some of them.

Political truths are smooth functions of absolute time (a few slow sinusoids with seeded phases), so
any instant can be priced without replaying history. Contracts of one PredictIt market are
exclusive outcomes and their truths are a softmax, so they sum to one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .randomness import uniform

# (market id, name, short name, date end or "NA", [(contract id, name, short name, base probability)])
PREDICTIT_MARKETS: tuple[tuple[int, str, str, str, tuple[tuple[int, str, str, float], ...]], ...] = (
    (
        8301,
        "Which party will win the 2028 US presidential election?",
        "Which party wins the presidency in 2028?",
        "NA",
        (
            (35101, "Democratic", "Democratic", 0.50),
            (35102, "Republican", "Republican", 0.494),
            (35103, "Libertarian", "Libertarian", 0.006),
        ),
    ),
    (
        8302,
        "Who will win the 2028 Democratic presidential nomination?",
        "2028 Democratic nominee?",
        "NA",
        (
            (35201, "Gavin Newsom", "Newsom", 0.30),
            (35202, "Pete Buttigieg", "Buttigieg", 0.14),
            (35203, "Josh Shapiro", "Shapiro", 0.13),
            (35204, "Alexandria Ocasio-Cortez", "Ocasio-Cortez", 0.16),
            (35205, "Gretchen Whitmer", "Whitmer", 0.07),
            (35206, "Kamala Harris", "Harris", 0.08),
            (35207, "Wes Moore", "Moore", 0.12),
        ),
    ),
    (
        8303,
        "Who will win the 2028 Republican presidential nomination?",
        "2028 Republican nominee?",
        "NA",
        (
            (35301, "JD Vance", "Vance", 0.52),
            (35302, "Marco Rubio", "Rubio", 0.18),
            (35303, "Donald Trump Jr.", "Trump Jr.", 0.12),
            (35304, "Ron DeSantis", "DeSantis", 0.10),
            (35305, "Nikki Haley", "Haley", 0.08),
        ),
    ),
    (
        8304,
        "Which party will control the Senate after the 2026 election?",
        "Senate control after 2026?",
        "2027-01-03T12:00:00",
        ((35401, "Democratic", "Democratic", 0.35), (35402, "Republican", "Republican", 0.65)),
    ),
    (
        8305,
        "Which party will control the House after the 2026 election?",
        "House control after 2026?",
        "2027-01-03T12:00:00",
        ((35501, "Democratic", "Democratic", 0.72), (35502, "Republican", "Republican", 0.28)),
    ),
    (
        8306,
        "Will the US enter a recession in 2026?",
        "US recession in 2026?",
        "2026-12-31T23:59:00",
        ((35601, "Will the US enter a recession in 2026?", "US recession in 2026?", 0.22),),
    ),
)

# Polymarket questions mirroring PredictIt contracts: (contract id, question, slug, neg-risk group)
POLYMARKET_MIRRORS: tuple[tuple[int, str, str, bool], ...] = (
    (
        35101,
        "Will the Democratic Party win the 2028 US presidential election?",
        "will-the-democratic-party-win-the-2028-us-presidential-election",
        True,
    ),
    (
        35102,
        "Will the Republican Party win the 2028 US presidential election?",
        "will-the-republican-party-win-the-2028-us-presidential-election",
        True,
    ),
    (
        35201,
        "Will Gavin Newsom win the 2028 Democratic presidential nomination?",
        "will-gavin-newsom-win-the-2028-democratic-presidential-nomination",
        True,
    ),
    (
        35202,
        "Will Pete Buttigieg win the 2028 Democratic presidential nomination?",
        "will-pete-buttigieg-win-the-2028-democratic-presidential-nomination",
        True,
    ),
    (
        35204,
        "Will Alexandria Ocasio-Cortez win the 2028 Democratic presidential nomination?",
        "will-alexandria-ocasio-cortez-win-the-2028-democratic-presidential-nomination",
        True,
    ),
    (
        35301,
        "Will JD Vance win the 2028 Republican presidential nomination?",
        "will-jd-vance-win-the-2028-republican-presidential-nomination",
        True,
    ),
    (
        35302,
        "Will Marco Rubio win the 2028 Republican presidential nomination?",
        "will-marco-rubio-win-the-2028-republican-presidential-nomination",
        True,
    ),
    (
        35401,
        "Will the Democrats win the Senate in the 2026 midterms?",
        "will-the-democrats-win-the-senate-in-the-2026-midterms",
        False,
    ),
    (
        35501,
        "Will the Democrats win the House in the 2026 midterms?",
        "will-the-democrats-win-the-house-in-the-2026-midterms",
        False,
    ),
    (35601, "US recession in 2026?", "us-recession-in-2026", False),
)

_WAVES = 3
_PERIODS_MIN = (9 * 60, 41 * 60, 7 * 24 * 60)  # hours-to-week swings
_AMPLITUDE = 0.12  # logit amplitude of each wave


@dataclass(frozen=True)
class PoliticalContract:
    """A PredictIt contract; its truth is shared with any Polymarket market mirroring it."""

    contract_id: int
    market_id: int
    name: str
    short_name: str
    base_prob: float
    display_order: int


def contracts() -> dict[int, PoliticalContract]:
    """All PredictIt contracts by id."""
    found = {}
    for market_id, _, _, _, rows in PREDICTIT_MARKETS:
        for order, (contract_id, name, short_name, base) in enumerate(rows):
            found[contract_id] = PoliticalContract(contract_id, market_id, name, short_name, base, order)
    return found


def _wave(seed: int, contract_id: int, minute: float) -> float:
    """The contract's logit deviation from its base at `minute` (minutes since the epoch)."""
    total = 0.0
    for k in range(_WAVES):
        phase = 2 * math.pi * uniform(seed, contract_id, k, 71)
        total += _AMPLITUDE * math.sin(2 * math.pi * minute / _PERIODS_MIN[k] + phase)
    return total


def market_truths(seed: int, market_id: int, minute: float) -> dict[int, float]:
    """True probabilities of every contract of a PredictIt market at `minute`."""
    rows = next(rows for mid, _, _, _, rows in PREDICTIT_MARKETS if mid == market_id)
    if len(rows) == 1:
        contract_id, _, _, base = rows[0]
        logit = math.log(base / (1 - base)) + _wave(seed, contract_id, minute)
        return {contract_id: 1 / (1 + math.exp(-logit))}
    weights = {cid: base * math.exp(_wave(seed, cid, minute)) for cid, _, _, base in rows}
    total = sum(weights.values())
    return {cid: weight / total for cid, weight in weights.items()}
