ALTER TABLE people DROP COLUMN ihs_number;
ALTER TABLE children DROP COLUMN ihs_number;
