CREATE OR REPLACE FUNCTION skdn_counts_rebuild() RETURNS void LANGUAGE sql AS $$
    ALTER TABLE weighing_months DISABLE TRIGGER USER;
    DELETE FROM weighing_months;
    INSERT INTO weighing_months SELECT * FROM weighing_months_from_rows;
    ALTER TABLE weighing_months ENABLE TRIGGER USER;
    DELETE FROM skdn_counts;
    INSERT INTO skdn_counts SELECT * FROM skdn_counts_from_rows();
$$;
DROP FUNCTION skdn_born_years_from_rows();
DROP FUNCTION skdn_born_years_of(text);
DROP TRIGGER skdn_born_years_deleted ON children;
DROP TRIGGER skdn_born_years_updated ON children;
DROP TRIGGER skdn_born_years_inserted ON children;
DROP FUNCTION skdn_born_years_changed();
DROP FUNCTION skdn_born_years_sql(text);
DROP TABLE skdn_born_years;
