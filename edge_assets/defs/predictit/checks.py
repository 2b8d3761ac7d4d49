"""Quality checks of the PredictIt table."""

from edge_assets.defs.quality import schema_check, table_checks

CHECKS = [
    table_checks(
        "predictit_market_data", "predictit_market_data", [schema_check("predictit_market_data")], recent_column="fetched_at"
    )
]
