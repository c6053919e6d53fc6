DROP INDEX regions_current_idx;
