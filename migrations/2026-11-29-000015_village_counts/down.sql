DROP TRIGGER village_counts_regions_changed ON regions;
DROP FUNCTION village_counts_regions_changed();
DROP FUNCTION village_counts_rebuild();
DROP TABLE village_counts;
