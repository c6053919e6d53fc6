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
DROP TABLE team_counts;
