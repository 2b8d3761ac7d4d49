"""Quality checks of the canonical quotes, the consensus and the cost tables."""

from edge_assets.defs.pricing.assets import consensus, cost_models, fee_tables, quotes
from edge_assets.defs.quality import table_checks, volume_check

quotes_checks = table_checks(quotes, [volume_check("quote_ts")])
consensus_checks = table_checks(consensus)
fee_tables_checks = table_checks(fee_tables)
cost_models_checks = table_checks(cost_models)
