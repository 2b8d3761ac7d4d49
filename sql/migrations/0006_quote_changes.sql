-- edge_assets schema, version 6: quote changes read from the per-market odds stream, for the venues
-- that have no table of their own at that grain (Polymarket, sportsbooks; PredictIt changes go to
-- predictit_market_data). One row per change, keyed by the id the publisher derived from the
-- change's content, so a change delivered or published twice is stored once. price is NULL when
-- the side has no offer any more.
CREATE TABLE quote_changes (
    change_id           TEXT PRIMARY KEY,
    venue               TEXT NOT NULL,
    market_id           TEXT NOT NULL,
    token_id            TEXT,
    outcome             TEXT NOT NULL,
    side                TEXT NOT NULL,
    bookmaker           TEXT NOT NULL,
    event_id            TEXT,
    price               DOUBLE PRECISION,
    size                DOUBLE PRECISION,
    source_ts           TIMESTAMP WITH TIME ZONE NOT NULL,
    published_at        TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX quote_changes_market_time ON quote_changes (venue, market_id, source_ts);
