"""Deterministic randomness keyed by integers, so any piece of the world can be rebuilt on its own.

Arrays (a game's price path) come from numpy generators seeded by a key tuple; scalar draws that
must be available at any absolute instant (the spread of a book in minute m) come from a
counter-based hash, which needs no state and no history.
"""

from __future__ import annotations

import hashlib

import numpy as np

_MASK64 = (1 << 64) - 1


def mix64(*keys: int) -> int:
    """A 64-bit hash of integer keys (splitmix64 finaliser chained over the keys)."""
    state = 0x9E3779B97F4A7C15
    for key in keys:
        state = (state ^ (key & _MASK64)) * 0xBF58476D1CE4E5B9 & _MASK64
        state = (state ^ (state >> 31)) * 0x94D049BB133111EB & _MASK64
        state ^= state >> 29
    return state


def uniform(*keys: int) -> float:
    """A uniform draw in [0, 1) determined by the keys."""
    return (mix64(*keys) >> 11) / float(1 << 53)


def mix64_many(prefix: tuple[int, ...], keys: np.ndarray, suffix: tuple[int, ...] = ()) -> np.ndarray:
    """`mix64(*prefix, key, *suffix)` for each integer of `keys`, as uint64: the prefix's chained
    state is computed once, the rest in numpy, whose uint64 arithmetic wraps as `& _MASK64` does."""
    state = np.full(np.shape(keys), mix64(*prefix), np.uint64)
    for key in (np.asarray(keys).astype(np.uint64), *(np.uint64(key & _MASK64) for key in suffix)):
        state ^= key
        state *= np.uint64(0xBF58476D1CE4E5B9)
        state ^= state >> np.uint64(31)
        state *= np.uint64(0x94D049BB133111EB)
        state ^= state >> np.uint64(29)
    return state


def uniform_many(prefix: tuple[int, ...], keys: np.ndarray, suffix: tuple[int, ...] = ()) -> np.ndarray:
    """`uniform(*prefix, key, *suffix)` for each integer of `keys` (float64, exactly the same draws)."""
    return (mix64_many(prefix, keys, suffix) >> np.uint64(11)) / float(1 << 53)


def generator(*keys: int) -> np.random.Generator:
    """A numpy generator seeded by the keys (non-negative integers)."""
    return np.random.default_rng([key & _MASK64 for key in keys])


def digest(text: str, size: int) -> bytes:
    """Stable bytes for identifiers (ids, hashes, token ids) derived from a label."""
    return hashlib.blake2b(text.encode(), digest_size=size).digest()


def hex_id(text: str, size: int) -> str:
    """A hex identifier of `size` bytes derived from a label."""
    return digest(text, size).hex()


def token_id(text: str) -> str:
    """A Polymarket-style token id: a 76-77 digit decimal string."""
    return str(int.from_bytes(digest(text, 32), "big"))[:77]


def norm_cdf(z: np.ndarray) -> np.ndarray:
    """Standard normal CDF (Abramowitz-Stegun 7.1.26 erf, error < 2e-7), numpy only."""
    x = np.abs(z) / np.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = 1.0 - poly * np.exp(-x * x)
    return 0.5 * (1.0 + np.sign(z) * erf)
