-- Official figures may be counts: Kampar reports 1,300 → 679 → 605 stunted children, not a
-- percentage. A figure carries its percentage, its count, or both, and the denominator when the
-- report gives one.
ALTER TABLE survey_figures
    ALTER COLUMN stunting_pct DROP NOT NULL,
    ADD COLUMN stunted_count integer CHECK (stunted_count >= 0),
    ADD COLUMN measured_count integer CHECK (measured_count > 0),
    ADD CONSTRAINT survey_figures_pct_or_count CHECK (stunting_pct IS NOT NULL OR stunted_count IS NOT NULL),
    ADD CONSTRAINT survey_figures_count_of_measured CHECK (stunted_count <= measured_count),
    ADD CONSTRAINT survey_figures_measured_with_count CHECK (measured_count IS NULL OR stunted_count IS NOT NULL),
    ADD CONSTRAINT survey_figures_interval_with_pct CHECK (ci_low_pct IS NULL OR stunting_pct IS NOT NULL);
