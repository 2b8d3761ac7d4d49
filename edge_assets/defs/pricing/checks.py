"""Quality checks of the canonical quotes and the consensus."""

from edge_assets.defs.quality import schema_check

CHECKS = [
    schema_check("quotes", "quotes", recent_column="quote_ts"),
    schema_check("consensus", "consensus", recent_column="quote_ts"),
    schema_check("fee_tables", "fee_tables"),
    schema_check("cost_models", "cost_models"),
]
