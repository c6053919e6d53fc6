DROP INDEX people_wedding_idx;
ALTER TABLE people DROP COLUMN wedding_planned_on;
