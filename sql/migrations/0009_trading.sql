-- edge_assets schema, version 9: the trader. Every decision the trader takes on a signal is one row
-- of executions (placed, skipped by a named limit or check, failed); an order sent to a venue is one
-- row of orders keyed by its signed order's hash, so a retry re-posts the same row, never a new one.
CREATE TABLE executions (
    execution_id        TEXT PRIMARY KEY,
    decided_at          TIMESTAMP WITH TIME ZONE NOT NULL,
    signal_id           TEXT NOT NULL,
    mode                TEXT NOT NULL,
    pm_market_id        TEXT NOT NULL,
    pm_token_id         TEXT NOT NULL,
    outcome             TEXT NOT NULL,
    price               DOUBLE PRECISION NOT NULL,
    stake               DOUBLE PRECISION NOT NULL,
    status              TEXT NOT NULL,
    stopped_by          TEXT,
    detail              TEXT,
    order_id            TEXT
);
CREATE INDEX executions_decided_at ON executions (decided_at);
CREATE INDEX executions_signal ON executions (signal_id);
CREATE TABLE orders (
    order_id            TEXT PRIMARY KEY,
    created_at          TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at          TIMESTAMP WITH TIME ZONE NOT NULL,
    signal_id           TEXT NOT NULL,
    mode                TEXT NOT NULL,
    pm_market_id        TEXT NOT NULL,
    pm_token_id         TEXT NOT NULL,
    outcome             TEXT NOT NULL,
    side                TEXT NOT NULL,
    order_type          TEXT NOT NULL,
    price               DOUBLE PRECISION NOT NULL,
    size                DOUBLE PRECISION NOT NULL,
    stake               DOUBLE PRECISION NOT NULL,
    status              TEXT NOT NULL,
    attempts            INTEGER NOT NULL,
    size_matched        DOUBLE PRECISION NOT NULL,
    error               TEXT
);
CREATE INDEX orders_created_at ON orders (created_at);
CREATE INDEX orders_market ON orders (pm_market_id, outcome);
-- One row per venue trade of one of our orders (a dry decision fills nothing).
CREATE TABLE fills (
    fill_id             TEXT PRIMARY KEY,
    order_id            TEXT NOT NULL,
    filled_at           TIMESTAMP WITH TIME ZONE NOT NULL,
    mode                TEXT NOT NULL,
    pm_market_id        TEXT NOT NULL,
    pm_token_id         TEXT NOT NULL,
    outcome             TEXT NOT NULL,
    price               DOUBLE PRECISION NOT NULL,
    size                DOUBLE PRECISION NOT NULL
);
CREATE INDEX fills_filled_at ON fills (filled_at);
CREATE INDEX fills_order ON fills (order_id);
-- Holdings per mode and token: shares held, what they cost, and their last mark (best bid).
CREATE TABLE positions (
    mode                TEXT NOT NULL,
    pm_token_id         TEXT NOT NULL,
    pm_market_id        TEXT NOT NULL,
    outcome             TEXT NOT NULL,
    size                DOUBLE PRECISION NOT NULL,
    cost                DOUBLE PRECISION NOT NULL,
    mark_price          DOUBLE PRECISION,
    updated_at          TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (mode, pm_token_id)
);
-- The global kill switch (one row, name 'kill_switch'), read by every trading process before each
-- decision.
CREATE TABLE trading_state (
    name                TEXT PRIMARY KEY,
    halted              INTEGER NOT NULL,
    reason              TEXT,
    changed_by          TEXT,
    updated_at          TIMESTAMP WITH TIME ZONE NOT NULL
);
-- One order in flight per market across processes: a lease taken by an atomic insert-or-take-over-
-- when-expired. Its expiry is epoch seconds, so the comparison is numeric on both dialects.
CREATE TABLE trading_locks (
    pm_market_id        TEXT PRIMARY KEY,
    holder              TEXT NOT NULL,
    expires_epoch       DOUBLE PRECISION NOT NULL
);
