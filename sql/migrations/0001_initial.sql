-- edge_assets operational schema, version 1.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL. Timestamp columns end in _ts or _at
-- (plus PredictIt's `timestamp`) and hold UTC instants.

-- Polymarket (Gamma) markets, upserted on every poll; closed markets keep their 1/0 prices.
CREATE TABLE markets (
    market_id           TEXT PRIMARY KEY,
    condition_id        TEXT,
    question            TEXT NOT NULL,
    slug                TEXT,
    event_id            TEXT,
    event_title         TEXT,
    sports_market_type  TEXT,
    game_start_ts       TIMESTAMP WITH TIME ZONE,
    end_ts              TIMESTAMP WITH TIME ZONE,
    active              BOOLEAN NOT NULL,
    closed              BOOLEAN NOT NULL,
    neg_risk            BOOLEAN NOT NULL,
    outcomes            TEXT NOT NULL,
    clob_token_ids      TEXT NOT NULL,
    outcome_prices      TEXT,
    best_bid            DOUBLE PRECISION,
    best_ask            DOUBLE PRECISION,
    fee_rate            DOUBLE PRECISION,
    fee_exponent        DOUBLE PRECISION,
    fee_taker_only      BOOLEAN,
    fee_rebate_rate     DOUBLE PRECISION,
    tick_size           DOUBLE PRECISION,
    min_order_size      DOUBLE PRECISION,
    updated_at          TIMESTAMP WITH TIME ZONE,
    fetched_at          TIMESTAMP WITH TIME ZONE NOT NULL
);

-- Resolved Polymarket outcomes (from closed Gamma markets).
CREATE TABLE resolutions (
    token_id            TEXT PRIMARY KEY,
    market_id           TEXT NOT NULL,
    outcome             TEXT NOT NULL,
    payout              DOUBLE PRECISION NOT NULL,
    resolved_at         TIMESTAMP WITH TIME ZONE,
    fetched_at          TIMESTAMP WITH TIME ZONE NOT NULL
);

-- CLOB order books, one snapshot per token per hour, one row per price level (level 0 = best).
CREATE TABLE order_books_hourly_snapshots (
    snapshot_ts         TIMESTAMP WITH TIME ZONE NOT NULL,
    token_id            TEXT NOT NULL,
    market_id           TEXT NOT NULL,
    side                TEXT NOT NULL,
    level               INTEGER NOT NULL,
    price               DOUBLE PRECISION NOT NULL,
    size                DOUBLE PRECISION NOT NULL,
    tick_size           DOUBLE PRECISION,
    min_order_size      DOUBLE PRECISION,
    book_ts             TIMESTAMP WITH TIME ZONE,
    fetched_at          TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (snapshot_ts, token_id, side, level)
);

-- The Odds API h2h prices from live polls, one row per event, bookmaker and outcome per poll.
CREATE TABLE oddsapi_live (
    snapshot_ts         TIMESTAMP WITH TIME ZONE NOT NULL,
    event_id            TEXT NOT NULL,
    sport_key           TEXT NOT NULL,
    commence_ts         TIMESTAMP WITH TIME ZONE NOT NULL,
    home_team           TEXT NOT NULL,
    away_team           TEXT NOT NULL,
    bookmaker           TEXT NOT NULL,
    book_update_ts      TIMESTAMP WITH TIME ZONE,
    outcome             TEXT NOT NULL,
    decimal_odds        DOUBLE PRECISION NOT NULL,
    fetched_at          TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (snapshot_ts, event_id, bookmaker, outcome)
);

-- The Odds API historical h2h snapshots, the one at or before each hour (partition_ts).
CREATE TABLE oddsapi_historical_hourly (
    partition_ts        TIMESTAMP WITH TIME ZONE NOT NULL,
    snapshot_ts         TIMESTAMP WITH TIME ZONE NOT NULL,
    event_id            TEXT NOT NULL,
    sport_key           TEXT NOT NULL,
    commence_ts         TIMESTAMP WITH TIME ZONE NOT NULL,
    home_team           TEXT NOT NULL,
    away_team           TEXT NOT NULL,
    bookmaker           TEXT NOT NULL,
    book_update_ts      TIMESTAMP WITH TIME ZONE,
    outcome             TEXT NOT NULL,
    decimal_odds        DOUBLE PRECISION NOT NULL,
    fetched_at          TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (partition_ts, event_id, bookmaker, outcome)
);

-- The Odds API scores: the latest state of each event.
CREATE TABLE oddsapi_scores (
    event_id            TEXT PRIMARY KEY,
    sport_key           TEXT NOT NULL,
    commence_ts         TIMESTAMP WITH TIME ZONE NOT NULL,
    completed           BOOLEAN NOT NULL,
    home_team           TEXT NOT NULL,
    away_team           TEXT NOT NULL,
    home_score          INTEGER,
    away_score          INTEGER,
    last_update_ts      TIMESTAMP WITH TIME ZONE,
    fetched_at          TIMESTAMP WITH TIME ZONE NOT NULL
);

-- PredictIt contracts; a row is stored only when the contract's quote changed.
CREATE TABLE market_data (
    data_id             TEXT NOT NULL,
    timestamp           TIMESTAMP WITH TIME ZONE NOT NULL,
    market_id           TEXT NOT NULL,
    market_name         TEXT NOT NULL,
    contract_name       TEXT NOT NULL,
    status              TEXT,
    date_end_ts         TIMESTAMP WITH TIME ZONE,
    last_trade_price    DOUBLE PRECISION,
    best_buy_yes_cost   DOUBLE PRECISION,
    best_buy_no_cost    DOUBLE PRECISION,
    best_sell_yes_cost  DOUBLE PRECISION,
    best_sell_no_cost   DOUBLE PRECISION,
    last_close_price    DOUBLE PRECISION,
    fetched_at          TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (data_id, timestamp)
);

-- Team-name aliases per league (normalised alias -> canonical team name).
CREATE TABLE team_aliases (
    league              TEXT NOT NULL,
    alias               TEXT NOT NULL,
    team                TEXT NOT NULL,
    source              TEXT NOT NULL,
    PRIMARY KEY (league, alias)
);

-- One row per Polymarket token: which sportsbook event and outcome it is, or why not.
CREATE TABLE market_mappings (
    pm_token_id         TEXT PRIMARY KEY,
    pm_market_id        TEXT NOT NULL,
    pm_outcome          TEXT NOT NULL,
    sport_key           TEXT,
    event_id            TEXT,
    sportsbook_outcome  TEXT,
    confidence          DOUBLE PRECISION NOT NULL,
    status              TEXT NOT NULL,
    reason              TEXT,
    mapped_at           TIMESTAMP WITH TIME ZONE NOT NULL
);

-- Canonical quotes: every venue's price for an outcome at one hour, in one schema.
CREATE TABLE quotes (
    quote_ts            TIMESTAMP WITH TIME ZONE NOT NULL,
    venue               TEXT NOT NULL,
    bookmaker           TEXT NOT NULL,
    market_key          TEXT NOT NULL,
    outcome             TEXT NOT NULL,
    side                TEXT NOT NULL,
    event_id            TEXT,
    decimal_odds        DOUBLE PRECISION NOT NULL,
    implied_prob        DOUBLE PRECISION NOT NULL,
    size                DOUBLE PRECISION,
    source_ts           TIMESTAMP WITH TIME ZONE,
    PRIMARY KEY (quote_ts, venue, bookmaker, market_key, outcome, side)
);

-- De-vigged sportsbook consensus per event outcome and hour.
CREATE TABLE consensus (
    quote_ts            TIMESTAMP WITH TIME ZONE NOT NULL,
    event_id            TEXT NOT NULL,
    outcome             TEXT NOT NULL,
    fair_prob           DOUBLE PRECISION NOT NULL,
    n_books             INTEGER NOT NULL,
    dispersion          DOUBLE PRECISION NOT NULL,
    method              TEXT NOT NULL,
    PRIMARY KEY (quote_ts, event_id, outcome)
);

-- +EV signals: created_at is the as-of time of the quotes behind the signal.
CREATE TABLE signals (
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
    detected_at         TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX signals_created_at ON signals (created_at);

-- Every alert raised, with its delivery status.
CREATE TABLE alerts (
    alert_id            TEXT PRIMARY KEY,
    created_at          TIMESTAMP WITH TIME ZONE NOT NULL,
    kind                TEXT NOT NULL,
    severity            TEXT NOT NULL,
    subject             TEXT NOT NULL,
    message             TEXT NOT NULL,
    payload             TEXT,
    delivery_status     TEXT NOT NULL,
    attempts            INTEGER NOT NULL DEFAULT 0,
    delivered_at        TIMESTAMP WITH TIME ZONE
);

-- Records that failed parsing or validation, kept with their reason instead of being dropped.
CREATE TABLE quarantine (
    venue               TEXT NOT NULL,
    asset               TEXT NOT NULL,
    partition_key       TEXT NOT NULL,
    record_hash         TEXT NOT NULL,
    reason              TEXT NOT NULL,
    record              TEXT NOT NULL,
    quarantined_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (venue, asset, partition_key, record_hash)
);
