-- edge_assets schema, version 12: a closed market keeps Gamma's closedTime, the instant it resolved,
-- so its resolutions say when they took effect (a backfilled hour frees a resolved position's stake
-- from that instant on, not from when the resolution was fetched).
ALTER TABLE polymarket_markets ADD COLUMN closed_ts TIMESTAMP WITH TIME ZONE;
