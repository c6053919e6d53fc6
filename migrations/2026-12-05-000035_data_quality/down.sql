DROP TRIGGER quality_children_updated ON children;
DROP TRIGGER quality_measurements_deleted ON measurements;
DROP TRIGGER quality_measurements_updated ON measurements;
DROP TRIGGER quality_measurements_inserted ON measurements;
DROP FUNCTION quality_counts_rebuild();
DROP FUNCTION quality_counts_from_rows();
DROP FUNCTION quality_children_changed();
DROP FUNCTION quality_measurements_changed();
DROP FUNCTION quality_apply_sql(text);
DROP FUNCTION quality_contributions_sql(text, text, integer);
DROP FUNCTION quality_tiers(text, text);
DROP FUNCTION quality_pivot_sql(text);
DROP FUNCTION quality_of(measurements);
DROP FUNCTION length_heaped(double precision);
DROP TABLE quality_counts;

CREATE OR REPLACE FUNCTION prevalence_of(batch measurements[], villages jsonb)
RETURNS TABLE (period text, period_start date, village_code text, measured bigint, stunted bigint,
               severely_stunted bigint, weighed bigint, underweight bigint,
               wasting_measured bigint, wasted bigint)
LANGUAGE sql STABLE AS $$
    WITH placed AS MATERIALIZED (
        SELECT key::uuid AS child_id, value AS village_code FROM jsonb_each_text(villages)
    ), latest AS (
        SELECT DISTINCT ON (m.child_id, p.period, p.period_start)
               p.period, p.period_start, v.village_code,
               m.haz, m.waz, m.whz, m.waz_implausible, m.whz_implausible
        FROM unnest(batch) m
        JOIN placed v ON v.child_id = m.child_id
        CROSS JOIN LATERAL calendar_periods(m.measured_on) p
        WHERE m.voided_at IS NULL AND m.haz IS NOT NULL AND NOT m.haz_implausible
        ORDER BY m.child_id, p.period, p.period_start, m.measured_on DESC, m.created_at DESC, m.id DESC
    )
    SELECT period, period_start, village_code, count(*),
           count(*) FILTER (WHERE haz < -2), count(*) FILTER (WHERE haz < -3),
           count(*) FILTER (WHERE waz IS NOT NULL AND NOT waz_implausible),
           count(*) FILTER (WHERE waz < -2 AND NOT waz_implausible),
           count(*) FILTER (WHERE whz IS NOT NULL AND NOT whz_implausible),
           count(*) FILTER (WHERE whz < -2 AND NOT whz_implausible)
    FROM latest GROUP BY 1, 2, 3
$$;

CREATE OR REPLACE FUNCTION prevalence_from_rows()
RETURNS TABLE (tier text, period text, period_start date, region_code text, measured bigint, stunted bigint,
               severely_stunted bigint, weighed bigint, underweight bigint, wasting_measured bigint, wasted bigint)
LANGUAGE sql STABLE AS $$
    WITH latest AS (
        SELECT DISTINCT ON (m.child_id, p.period, p.period_start)
               p.period, p.period_start, c.village_code,
               m.haz, m.waz, m.whz, m.waz_implausible, m.whz_implausible
        FROM measurements m JOIN children c ON c.id = m.child_id
             CROSS JOIN LATERAL calendar_periods(m.measured_on) p
        WHERE m.voided_at IS NULL AND c.deleted_at IS NULL AND m.haz IS NOT NULL AND NOT m.haz_implausible
        ORDER BY m.child_id, p.period, p.period_start, m.measured_on DESC, m.created_at DESC, m.id DESC
    ), per_village AS (
        SELECT period, period_start, village_code, count(*) AS measured,
               count(*) FILTER (WHERE haz < -2) AS stunted, count(*) FILTER (WHERE haz < -3) AS severely_stunted,
               count(*) FILTER (WHERE waz IS NOT NULL AND NOT waz_implausible) AS weighed,
               count(*) FILTER (WHERE waz < -2 AND NOT waz_implausible) AS underweight,
               count(*) FILTER (WHERE whz IS NOT NULL AND NOT whz_implausible) AS wasting_measured,
               count(*) FILTER (WHERE whz < -2 AND NOT whz_implausible) AS wasted
        FROM latest GROUP BY 1, 2, 3
    )
    SELECT 'village', v.* FROM per_village v
    UNION ALL
    SELECT 'district', period, period_start, left(village_code, 5), sum(measured)::bigint, sum(stunted)::bigint,
           sum(severely_stunted)::bigint, sum(weighed)::bigint, sum(underweight)::bigint,
           sum(wasting_measured)::bigint, sum(wasted)::bigint
    FROM per_village GROUP BY 2, 3, 4
$$;

ALTER TABLE measurements DROP COLUMN held, DROP COLUMN checked_note, DROP COLUMN checked_by,
    DROP COLUMN checked_at, DROP COLUMN quality_flags, DROP COLUMN reported_age_months;
SELECT prevalence_rebuild();
