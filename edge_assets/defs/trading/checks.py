"""Quality checks of the positions table."""

from edge_assets.defs.quality import table_checks
from edge_assets.defs.trading.assets import positions

positions_checks = table_checks(positions)
