import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from edge_assets.sources.changes import changed_rows

KEY, COMPARE = ["data_id"], ["yes", "no"]
prices = st.one_of(st.none(), st.sampled_from([0.01, 0.35, 0.5, 0.99]))
quote_rows = st.lists(
    st.fixed_dictionaries({"data_id": st.sampled_from(["a", "b", "c", "d"]), "yes": prices, "no": prices}),
    max_size=8,
    unique_by=lambda r: r["data_id"],
)


def frame(rows):
    return pd.DataFrame(rows, columns=KEY + COMPARE).astype({"yes": float, "no": float})


@given(quote_rows)
def test_a_poll_that_repeats_the_stored_quotes_stores_nothing(rows):
    quotes = frame(rows)
    assert changed_rows(quotes, quotes, KEY, COMPARE).empty


@given(quote_rows, quote_rows)
def test_exactly_the_new_or_different_quotes_are_kept(new_rows, old_rows):
    new, old = frame(new_rows), frame(old_rows)
    kept = set(changed_rows(new, old, KEY, COMPARE)["data_id"])
    previous = {r["data_id"]: (r["yes"], r["no"]) for r in old_rows}
    expected = {r["data_id"] for r in new_rows if previous.get(r["data_id"], "unseen") != (r["yes"], r["no"])}
    assert kept == expected


def test_null_to_price_is_a_change():
    old = frame([{"data_id": "a", "yes": None, "no": 0.5}])
    new = frame([{"data_id": "a", "yes": 0.4, "no": 0.5}])
    assert changed_rows(new, old, KEY, COMPARE)["data_id"].tolist() == ["a"]
