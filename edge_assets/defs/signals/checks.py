"""Quality checks of the signals table."""

from edge_assets.defs.quality import schema_check

CHECKS = [schema_check("signals", "signals", recent_column="created_at")]
