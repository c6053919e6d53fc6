DELETE FROM pathway_counts WHERE tier = 'subdistrict';
ALTER TABLE pathway_counts DROP CONSTRAINT pathway_counts_tier_check,
    ADD CONSTRAINT pathway_counts_tier_check CHECK (tier IN ('village', 'district', 'province'));
CREATE OR REPLACE FUNCTION pathway_tiers(village text) RETURNS TABLE (tier text, code text)
LANGUAGE sql IMMUTABLE AS $$
    VALUES ('village', village), ('district', left(village, 5)), ('province', left(village, 2))
$$;
CREATE OR REPLACE FUNCTION pathway_counts_rebuild() RETURNS void LANGUAGE sql AS $$
    ALTER TABLE pathway_months DISABLE TRIGGER USER;
    DELETE FROM pathway_months;
    INSERT INTO pathway_months SELECT * FROM pathway_months_from_rows;
    ALTER TABLE pathway_months ENABLE TRIGGER USER;
    DELETE FROM pathway_counts;
    INSERT INTO pathway_counts SELECT * FROM pathway_counts_from_rows();
$$;
DROP FUNCTION team_counts_rebuild();
DROP TRIGGER team_counts_inserted ON teams;
DROP TRIGGER team_counts_updated ON teams;
DROP TRIGGER team_counts_deleted ON teams;
DROP FUNCTION team_counts_changed();
DROP FUNCTION team_counts_from_rows();
DROP INDEX village_counts_tier_idx;
DROP TABLE team_counts;
