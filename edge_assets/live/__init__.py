"""The live path (pure): the market channel, books in memory, live odds polling and the comparator on
every change, publishing quote changes to the per-market stream. Dagster observes it; it is not a run."""
