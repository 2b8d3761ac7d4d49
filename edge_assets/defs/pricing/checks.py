"""Quality checks of the canonical quotes, the consensus and the cost tables."""

from edge_assets.defs.quality import schema_check, table_checks, volume_check

CHECKS = [
    table_checks(
        "quotes", "quotes", [schema_check("quotes"), volume_check("quote_ts")], recent_column="quote_ts"
    ),
    table_checks("consensus", "consensus", [schema_check("consensus")], recent_column="quote_ts"),
    table_checks("fee_tables", "fee_tables", [schema_check("fee_tables")]),
    table_checks("cost_models", "cost_models", [schema_check("cost_models")]),
]
