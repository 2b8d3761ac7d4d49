"""Quality checks of the canonical quotes, the consensus and the cost tables."""

from edge_assets.defs.quality import schema_check, volume_check

CHECKS = [
    schema_check("quotes", "quotes", recent_column="quote_ts"),
    volume_check("quotes", "quotes", "quote_ts"),
    schema_check("consensus", "consensus", recent_column="quote_ts"),
    schema_check("fee_tables", "fee_tables"),
    schema_check("cost_models", "cost_models"),
]
