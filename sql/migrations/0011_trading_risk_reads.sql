-- edge_assets schema, version 11: the risk guard's reads before each decision seek by mode and time
-- (a mode's recent orders, its fills of the day) instead of scanning every order; a position's mark
-- carries when it was taken, so a batch mark from an older book never overwrites a fresher live one.
CREATE INDEX orders_mode_created_at ON orders (mode, created_at);
CREATE INDEX orders_mode_status ON orders (mode, status, created_at);
CREATE INDEX fills_mode_filled_at ON fills (mode, filled_at);
ALTER TABLE positions ADD COLUMN marked_at TIMESTAMP WITH TIME ZONE;
UPDATE positions SET marked_at = updated_at WHERE mark_price IS NOT NULL;
