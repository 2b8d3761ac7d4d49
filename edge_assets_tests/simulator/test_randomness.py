"""The vectorised draws are the scalar ones: `mix64_many`/`uniform_many` over an array of keys give
exactly what `mix64`/`uniform` give key by key, for any prefix and suffix (negative and wider than
64 bits included, as the scalar functions mask them)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from edge_assets.simulator.randomness import mix64, mix64_many, uniform, uniform_many

KEYS = st.integers(-(2**70), 2**70)
SCALARS = st.lists(KEYS, max_size=5).map(tuple)
ARRAY_KEYS = st.lists(st.integers(-(2**63), 2**63 - 1), max_size=40)


@given(SCALARS, ARRAY_KEYS, SCALARS)
def test_mix64_many_is_mix64_per_key(prefix, keys, suffix):
    drawn = mix64_many(prefix, np.array(keys, np.int64), suffix)
    assert drawn.dtype == np.uint64
    assert drawn.tolist() == [mix64(*prefix, key, *suffix) for key in keys]


@given(SCALARS, ARRAY_KEYS, SCALARS)
def test_uniform_many_is_uniform_per_key(prefix, keys, suffix):
    drawn = uniform_many(prefix, np.array(keys, np.int64), suffix)
    assert drawn.tolist() == [uniform(*prefix, key, *suffix) for key in keys]


@given(SCALARS, st.lists(st.integers(0, 2**64 - 1), max_size=40))
def test_unsigned_keys_above_int64(prefix, keys):
    assert mix64_many(prefix, np.array(keys, np.uint64)).tolist() == [mix64(*prefix, key) for key in keys]
