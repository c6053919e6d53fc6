-- The same kept prevalence counts, found faster for a statement that writes many measurements
-- (an import's chunk), where the first versions took 150 ms for 1,000 rows:
-- - `prevalence_of` reads the children's villages from the `villages` map once, as rows; it
--   looked each child up in the map, and PostgreSQL unpacks a large jsonb argument again at
--   every lookup;
-- - `prevalence_measurements_changed` collects the children's years the statement touched once
--   and joins them, where it looked through the whole statement for every measurement.
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

CREATE OR REPLACE FUNCTION prevalence_measurements_changed(gone measurements[], came measurements[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    villages jsonb;
    now_rows measurements[];
    then_rows measurements[];
BEGIN
    PERFORM 1 FROM children
    WHERE id IN (SELECT child_id FROM unnest(gone) UNION SELECT child_id FROM unnest(came))
    ORDER BY id FOR UPDATE;
    SELECT coalesce(jsonb_object_agg(c.id::text, c.village_code), '{}') INTO villages
    FROM children c
    WHERE c.deleted_at IS NULL
      AND c.id IN (SELECT child_id FROM unnest(gone) UNION SELECT child_id FROM unnest(came));
    IF villages = '{}' THEN
        RETURN;
    END IF;
    -- Only the periods the statement touched can change: the touched children's years.
    SELECT coalesce(array_agg(m), '{}') INTO now_rows
    FROM (SELECT DISTINCT t.child_id, date_trunc('year', t.measured_on)::date AS year
          FROM unnest(gone || came) t) t
    JOIN measurements m ON m.child_id = t.child_id
     AND m.measured_on >= t.year AND m.measured_on < (t.year + interval '1 year')::date;
    SELECT coalesce(array_agg(r::measurements), '{}') INTO then_rows FROM (
        SELECT n.* FROM unnest(now_rows) n
        WHERE NOT EXISTS (SELECT 1 FROM unnest(came) c WHERE c.id = n.id)
        UNION ALL SELECT g.* FROM unnest(gone) g) r;
    PERFORM prevalence_shift(
        (SELECT coalesce(jsonb_agg(b), '[]') FROM prevalence_of(then_rows, villages) b),
        (SELECT coalesce(jsonb_agg(a), '[]') FROM prevalence_of(now_rows, villages) a));
END;
$$;
