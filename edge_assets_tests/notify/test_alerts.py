from datetime import UTC, datetime

import pandas as pd

from edge_assets.notify.alerts import ALERT_COLUMNS, mapping_alerts

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def mappings():
    rows = [
        ("t1", "m1", "suspect", "nba", "gap 0.6"),
        ("t2", "m1", "suspect", "nba", "another outcome of this market is suspect"),
        ("t3", "m2", "ambiguous", "mlb", "two games"),
        ("t4", "m3", "unmapped", "nhl", "no event"),
        ("t5", "m4", "unmapped", None, "not a sports moneyline"),
        ("t6", "m5", "mapped", "nba", None),
    ]
    return pd.DataFrame(rows, columns=["pm_token_id", "pm_market_id", "status", "sport_key", "reason"])


def test_one_alert_per_held_market_and_per_league_with_unmapped_markets():
    alerts = mapping_alerts(mappings(), NOW)
    assert list(alerts.columns) == ALERT_COLUMNS
    assert sorted(alerts["kind"]) == ["mapping_ambiguous", "mapping_suspect", "mapping_unmapped"]
    suspect = alerts[alerts["kind"] == "mapping_suspect"].iloc[0]
    assert "gap 0.6" in suspect["message"] and suspect["severity"] == "error"
    assert (alerts["delivery_status"] == "logged").all()


def test_the_same_findings_make_the_same_alert_ids_later():
    later = datetime(2026, 11, 20, 13, tzinfo=UTC)
    assert set(mapping_alerts(mappings(), NOW)["alert_id"]) == set(
        mapping_alerts(mappings(), later)["alert_id"]
    )
