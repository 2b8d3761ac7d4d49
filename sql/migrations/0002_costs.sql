-- edge_assets schema, version 2: what a signal would really cost, and the cost tables behind it.

-- Signals priced for a stake: the VWAP paid walking the book, the stake suggested by capped
-- fractional Kelly, the probability the quoted depth is still there, and the de-vig method.
ALTER TABLE signals ADD COLUMN vwap DOUBLE PRECISION;
ALTER TABLE signals ADD COLUMN stake DOUBLE PRECISION;
ALTER TABLE signals ADD COLUMN fill_prob DOUBLE PRECISION;
ALTER TABLE signals ADD COLUMN devig_method TEXT;

-- Trading fees per venue and market (Polymarket: each market's own feeSchedule).
CREATE TABLE fee_tables (
    venue               TEXT NOT NULL,
    market_key          TEXT NOT NULL,
    fee_model           TEXT NOT NULL,
    rate                DOUBLE PRECISION NOT NULL,
    exponent            DOUBLE PRECISION,
    taker_only          BOOLEAN,
    rebate_rate         DOUBLE PRECISION,
    updated_at          TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (venue, market_key)
);

-- Execution cost model per venue: how often quoted depth survives to the next snapshot, and the
-- liquidity below which a quote is not worth acting on.
CREATE TABLE cost_models (
    venue               TEXT PRIMARY KEY,
    fill_prob           DOUBLE PRECISION NOT NULL,
    observations        INTEGER NOT NULL,
    median_depth_usdc   DOUBLE PRECISION,
    min_depth_usdc      DOUBLE PRECISION NOT NULL,
    min_fill_prob       DOUBLE PRECISION NOT NULL,
    window_start_ts     TIMESTAMP WITH TIME ZONE,
    window_end_ts       TIMESTAMP WITH TIME ZONE,
    computed_at         TIMESTAMP WITH TIME ZONE NOT NULL
);
