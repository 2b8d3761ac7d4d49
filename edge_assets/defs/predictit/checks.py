"""Quality checks of the PredictIt table."""

from edge_assets.defs.predictit.assets import predictit_market_data
from edge_assets.defs.quality import table_checks

predictit_market_data_checks = table_checks(predictit_market_data, landed=True)
