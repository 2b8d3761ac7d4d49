"""Quality checks of the PredictIt table."""

from edge_assets.defs.predictit.assets import predictit_market_data
from edge_assets.defs.quality import quarantine_check, table_checks

predictit_market_data_checks = table_checks(predictit_market_data)
predictit_market_data_quarantine = quarantine_check(predictit_market_data)
