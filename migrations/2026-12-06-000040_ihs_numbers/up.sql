-- SATUSEHAT's patient id (IHS number) of a child or a person: personal data, set by officers
-- and integrations, and what a FHIR export names the person by. One living record per number.
ALTER TABLE children ADD COLUMN ihs_number text CHECK (ihs_number ~ '^P[0-9]{11}$');
ALTER TABLE people ADD COLUMN ihs_number text CHECK (ihs_number ~ '^P[0-9]{11}$');
CREATE UNIQUE INDEX children_ihs_number_key ON children (ihs_number) WHERE deleted_at IS NULL AND ihs_number IS NOT NULL;
CREATE UNIQUE INDEX people_ihs_number_key ON people (ihs_number) WHERE deleted_at IS NULL AND ihs_number IS NOT NULL;
