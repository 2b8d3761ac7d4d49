"""Quality checks of the latest features table."""

from edge_assets.defs.quality import schema_check

CHECKS = [schema_check("features_latest", "features_latest")]
