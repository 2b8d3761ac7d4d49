-- edge_assets schema, version 8: indexes behind the read-only API (edge_assets/api), so each of its
-- queries seeks instead of scanning a month of rows. Portable SQL (SQLite and PostgreSQL).

-- One market's quotes over a window: a Polymarket token's bid and ask (market_key = token id), an
-- event's sportsbook prices (market_key = event id).
CREATE INDEX quotes_venue_market_ts ON quotes (venue, market_key, quote_ts);
-- A venue's newest hour (the primary key starts with quote_ts, so it cannot seek on the venue).
CREATE INDEX quotes_venue_ts ON quotes (venue, quote_ts);

-- One event's de-vigged consensus over a window.
CREATE INDEX consensus_event_ts ON consensus (event_id, quote_ts);

-- A PredictIt market's contracts over a window, and the rows written after a change feed's position.
CREATE INDEX predictit_market_data_market_ts ON predictit_market_data (market_id, timestamp);
CREATE INDEX predictit_market_data_fetched_at ON predictit_market_data (fetched_at);

-- The tokens of one Polymarket market.
CREATE INDEX market_mappings_market ON market_mappings (pm_market_id);

-- One market's signals over a window, and the signals written after a change feed's position.
CREATE INDEX signals_market_created_at ON signals (pm_market_id, created_at);
CREATE INDEX signals_detected_at ON signals (detected_at);
