-- edge_assets schema, version 3: the latest feature row of every mapped Polymarket token.
-- The full hourly history lives in the lake as parquet (the feature store, assets/features/);
-- this table is what the signals and a person querying SQL read for "now".
CREATE TABLE features_latest (
    quote_ts            TIMESTAMP WITH TIME ZONE NOT NULL,
    pm_token_id         TEXT PRIMARY KEY,
    pm_market_id        TEXT NOT NULL,
    event_id            TEXT,
    outcome             TEXT,
    sport_key           TEXT,
    game_start_ts       TIMESTAMP WITH TIME ZONE,
    ask_size            DOUBLE PRECISION,
    bid                 DOUBLE PRECISION,
    ask                 DOUBLE PRECISION,
    mid                 DOUBLE PRECISION,
    spread              DOUBLE PRECISION,
    ask_depth_1c        DOUBLE PRECISION,
    ask_depth_5c        DOUBLE PRECISION,
    bid_depth_1c        DOUBLE PRECISION,
    bid_depth_5c        DOUBLE PRECISION,
    fair_prob           DOUBLE PRECISION,
    pm_minus_consensus  DOUBLE PRECISION,
    fee                 DOUBLE PRECISION,
    ev_after_costs      DOUBLE PRECISION,
    n_books             DOUBLE PRECISION,
    dispersion          DOUBLE PRECISION,
    consensus_change_1h DOUBLE PRECISION,
    consensus_change_6h DOUBLE PRECISION,
    consensus_change_24h DOUBLE PRECISION,
    pm_change_1h        DOUBLE PRECISION,
    pm_change_6h        DOUBLE PRECISION,
    pm_change_24h       DOUBLE PRECISION,
    gap_drift_1h        DOUBLE PRECISION,
    gap_drift_6h        DOUBLE PRECISION,
    gap_drift_24h       DOUBLE PRECISION,
    pm_volatility_1h    DOUBLE PRECISION,
    pm_volatility_6h    DOUBLE PRECISION,
    pm_volatility_24h   DOUBLE PRECISION,
    consensus_volatility_1h DOUBLE PRECISION,
    consensus_volatility_6h DOUBLE PRECISION,
    consensus_volatility_24h DOUBLE PRECISION,
    gap_zscore_24h      DOUBLE PRECISION,
    liquidity_decay_24h DOUBLE PRECISION,
    hours_to_start      DOUBLE PRECISION,
    league_code         DOUBLE PRECISION
);

-- Model-gated signals: the champion's confidence, and where the signal came from (the quote rows,
-- the book snapshot, the mapping and the consensus behind it) as JSON.
ALTER TABLE signals ADD COLUMN model_confidence DOUBLE PRECISION;
ALTER TABLE signals ADD COLUMN provenance TEXT;
