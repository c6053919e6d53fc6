-- The exports of screenings, pregnancies and TPK visits page by (village, id) within a region
-- (records::pregnancy::export). Without an index in that order every page sorted the rest of
-- the region: a national export of millions of rows read them all once per page of 1,000.
CREATE INDEX catin_screenings_export_idx ON catin_screenings (village_code, id);
CREATE INDEX pregnancies_export_idx ON pregnancies (village_code, id) WHERE deleted_at IS NULL;
CREATE INDEX tpk_visits_export_idx ON tpk_visits (village_code, id);
