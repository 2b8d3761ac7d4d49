-- edge_assets schema, version 10: when a live signal's row was last written (opened, refreshed or
-- closed), on the writer's clock. last_seen_at and closed_at are as-of times of the quotes judged,
-- which can lie before rows already read, so a reader following the table (the API's change
-- stream) goes by updated_at to miss no close. Rows written before it take their last change.
ALTER TABLE live_signals ADD COLUMN updated_at TIMESTAMP WITH TIME ZONE;
UPDATE live_signals SET updated_at = COALESCE(closed_at, last_seen_at);
CREATE INDEX live_signals_updated_at ON live_signals (updated_at);
