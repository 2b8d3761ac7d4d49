-- edge_assets schema, version 7: the live detector's signals and its heartbeat.
-- A live signal lives while its edge lasts: created_at is the as-of time of the change that opened
-- it, detected_at the wall-clock time its row was first written, last_seen_at the latest evaluation
-- that still found it, closed_at the first that did not (NULL while open). Rewriting a signal's row
-- is idempotent: its id comes from the token and created_at.
CREATE TABLE live_signals (
    signal_id           TEXT PRIMARY KEY,
    created_at          TIMESTAMP WITH TIME ZONE NOT NULL,
    pm_market_id        TEXT NOT NULL,
    pm_token_id         TEXT NOT NULL,
    outcome             TEXT NOT NULL,
    event_id            TEXT NOT NULL,
    pm_price            DOUBLE PRECISION NOT NULL,
    fee                 DOUBLE PRECISION NOT NULL,
    fair_prob           DOUBLE PRECISION NOT NULL,
    ev_after_costs      DOUBLE PRECISION NOT NULL,
    size_available      DOUBLE PRECISION NOT NULL,
    model_version       TEXT,
    detected_at         TIMESTAMP WITH TIME ZONE NOT NULL,
    vwap                DOUBLE PRECISION,
    stake               DOUBLE PRECISION,
    fill_prob           DOUBLE PRECISION,
    devig_method        TEXT,
    model_confidence    DOUBLE PRECISION,
    provenance          TEXT,
    last_seen_at        TIMESTAMP WITH TIME ZONE NOT NULL,
    closed_at           TIMESTAMP WITH TIME ZONE,
    best_ev             DOUBLE PRECISION NOT NULL,
    source              TEXT NOT NULL
);
CREATE INDEX live_signals_open ON live_signals (closed_at, pm_token_id);
CREATE INDEX live_signals_created_at ON live_signals (created_at);
-- One row per live service: what it follows and when it last spoke, for Dagster's observations.
CREATE TABLE live_status (
    service             TEXT PRIMARY KEY,
    updated_at          TIMESTAMP WITH TIME ZONE NOT NULL,
    started_at          TIMESTAMP WITH TIME ZONE NOT NULL,
    tokens              INTEGER NOT NULL,
    messages            INTEGER NOT NULL,
    messages_per_second DOUBLE PRECISION NOT NULL,
    last_message_at     TIMESTAMP WITH TIME ZONE,
    consumer_lag        INTEGER,
    evaluations         INTEGER NOT NULL,
    open_signals        INTEGER NOT NULL,
    signals_opened      INTEGER NOT NULL,
    odds_polled_at      TIMESTAMP WITH TIME ZONE,
    quota_remaining     INTEGER
);
