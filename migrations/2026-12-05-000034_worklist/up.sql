-- Worklists. A bride- or groom-to-be is known before any screening, with the wedding planned:
-- the worklist asks for the catin screening about three months before it (Elsimil).
ALTER TABLE people ADD COLUMN wedding_planned_on date;
-- A village's coming weddings: the worklist's read.
CREATE INDEX people_wedding_idx ON people (village_code, wedding_planned_on)
    WHERE wedding_planned_on IS NOT NULL AND deleted_at IS NULL;
-- The worklist reads a village's (or a posyandu's) weighed months of this month and last, with
-- their flags: an index-only range instead of a probe per child.
DROP INDEX weighing_months_village_idx;
CREATE INDEX weighing_months_village_idx ON weighing_months (village_code, month)
    INCLUDE (child_id, posyandu_id, two_t, bgm);
