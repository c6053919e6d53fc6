-- The first versions of the functions.
CREATE OR REPLACE FUNCTION prevalence_of(batch measurements[], villages jsonb)
RETURNS TABLE (period text, period_start date, village_code text, measured bigint, stunted bigint,
               severely_stunted bigint, weighed bigint, underweight bigint,
               wasting_measured bigint, wasted bigint)
LANGUAGE sql STABLE AS $$
    WITH latest AS (
        SELECT DISTINCT ON (m.child_id, p.period, p.period_start)
               p.period, p.period_start, villages ->> m.child_id::text AS village_code,
               m.haz, m.waz, m.whz, m.waz_implausible, m.whz_implausible
        FROM unnest(batch) m CROSS JOIN LATERAL calendar_periods(m.measured_on) p
        WHERE m.voided_at IS NULL AND m.haz IS NOT NULL AND NOT m.haz_implausible
          AND villages ? m.child_id::text
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
    -- Only the periods the statement touched can change.
    SELECT coalesce(array_agg(m), '{}') INTO now_rows FROM measurements m
    WHERE m.child_id IN (SELECT child_id FROM unnest(gone) UNION SELECT child_id FROM unnest(came))
      AND EXISTS (SELECT 1 FROM unnest(gone || came) t
                  WHERE t.child_id = m.child_id AND date_trunc('year', t.measured_on) = date_trunc('year', m.measured_on));
    SELECT coalesce(array_agg(r::measurements), '{}') INTO then_rows FROM (
        SELECT n.* FROM unnest(now_rows) n WHERE n.id NOT IN (SELECT id FROM unnest(came))
        UNION ALL SELECT g.* FROM unnest(gone) g) r;
    PERFORM prevalence_shift(
        (SELECT coalesce(jsonb_agg(b), '[]') FROM prevalence_of(then_rows, villages) b),
        (SELECT coalesce(jsonb_agg(a), '[]') FROM prevalence_of(now_rows, villages) a));
END;
$$;
