"""Quality checks of the signals table."""

from edge_assets.defs.quality import table_checks
from edge_assets.defs.signals.assets import signals

signals_checks = table_checks(signals)
