DROP INDEX weighing_months_village_idx;
CREATE INDEX weighing_months_village_idx ON weighing_months (village_code, month);
DROP INDEX people_wedding_idx;
ALTER TABLE people DROP COLUMN wedding_planned_on;
