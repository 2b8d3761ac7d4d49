-- edge_assets schema, version 5: every table is named as the asset that writes it, so a table's
-- name follows from its asset key and nothing restates it.
ALTER TABLE markets RENAME TO polymarket_markets;
ALTER TABLE resolutions RENAME TO polymarket_resolutions;
ALTER TABLE order_books_hourly_snapshots RENAME TO order_book_snapshots;
ALTER TABLE oddsapi_live RENAME TO oddsapi_live_odds;
ALTER TABLE oddsapi_historical_hourly RENAME TO oddsapi_historical_odds;
ALTER TABLE market_data RENAME TO predictit_market_data;
