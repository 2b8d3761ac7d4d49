-- edge_assets schema, version 4: each hourly order book taken again a short horizon later
-- (a minute by default), the first levels of each side. Paired with the hour's snapshot it tells
-- how much of the quoted depth a taker acting on a signal would still find: the fill probability.
-- snapshot_ts is the nominal recheck instant (the hour plus the horizon).
CREATE TABLE order_book_rechecks (
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
