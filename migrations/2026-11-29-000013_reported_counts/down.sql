DELETE FROM survey_figures WHERE stunting_pct IS NULL;
ALTER TABLE survey_figures
    DROP CONSTRAINT survey_figures_interval_with_pct,
    DROP COLUMN stunted_count,
    DROP COLUMN measured_count,
    ALTER COLUMN stunting_pct SET NOT NULL;
