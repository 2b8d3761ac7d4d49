"""Quality checks of the signals table."""

from edge_assets.defs.quality import schema_check, table_checks

CHECKS = [table_checks("signals", "signals", [schema_check("signals")], recent_column="created_at")]
