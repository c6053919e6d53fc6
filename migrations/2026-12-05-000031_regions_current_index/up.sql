-- The regions in use at one tier, by code, as one index-only range: the convergence tile of a
-- summary counts the districts under a region (514 in the country). Through regions_level_idx
-- every district was a heap fetch to check `retired_at`, scattered over the table.
CREATE INDEX regions_current_idx ON regions (level, code) WHERE retired_at IS NULL;
