"""Quality checks of the PredictIt table."""

from edge_assets.defs.quality import schema_check

CHECKS = [schema_check("predictit_market_data", "market_data", recent_column="fetched_at")]
