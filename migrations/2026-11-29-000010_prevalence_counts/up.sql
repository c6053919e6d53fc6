-- Measured prevalence kept per calendar period (month, quarter, semester, year) for every
-- village, and again for every district, in the writing transaction. A dashboard then reads a
-- few dozen kept rows for any tier and period instead of every child's measurements.
--
-- Definition, exactly as the rows give it: in a period, each child of a village who is not
-- removed counts once, at their latest measurement in the period with a valid length/height-
-- for-age (latest by date, then by entry time, then by id).
CREATE TABLE prevalence_counts (
    -- 'village' rows count one village; 'district' rows count all the district's villages.
    tier              text NOT NULL CHECK (tier IN ('village', 'district')),
    period            text NOT NULL CHECK (period IN ('month', 'quarter', 'semester', 'year')),
    period_start      date NOT NULL,
    region_code       text COLLATE "C" NOT NULL,
    measured          bigint NOT NULL DEFAULT 0,
    stunted           bigint NOT NULL DEFAULT 0,
    severely_stunted  bigint NOT NULL DEFAULT 0,
    weighed           bigint NOT NULL DEFAULT 0,
    underweight       bigint NOT NULL DEFAULT 0,
    wasting_measured  bigint NOT NULL DEFAULT 0,
    wasted            bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tier, period, period_start, region_code)
);

-- The four calendar periods a day falls in.
CREATE FUNCTION calendar_periods(day date) RETURNS TABLE (period text, period_start date)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    VALUES ('month', date_trunc('month', day)::date),
           ('quarter', date_trunc('quarter', day)::date),
           ('semester', make_date(extract(year FROM day)::int, CASE WHEN extract(month FROM day) <= 6 THEN 1 ELSE 7 END, 1)),
           ('year', date_trunc('year', day)::date)
$$;

-- What a set of measurements contributes to the counts: per village and period, the children
-- counted (each at their latest valid measurement among `batch`). `villages` maps each
-- child counted to their village (a removed child is left out).
CREATE FUNCTION prevalence_of(batch measurements[], villages jsonb)
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

-- Adds `after` and takes away `before` (each from prevalence_of) at the village and at its
-- district. Increments commute, so concurrent writers in one village lose nothing; rows are
-- touched in key order so two writers cannot deadlock on them.
CREATE FUNCTION prevalence_shift(before jsonb, after jsonb) RETURNS void LANGUAGE sql AS $$
    WITH delta AS (
        SELECT period, period_start, village_code,
               sum(sign * measured) AS measured, sum(sign * stunted) AS stunted,
               sum(sign * severely_stunted) AS severely_stunted, sum(sign * weighed) AS weighed,
               sum(sign * underweight) AS underweight, sum(sign * wasting_measured) AS wasting_measured,
               sum(sign * wasted) AS wasted
        FROM (SELECT -1 AS sign, b.* FROM jsonb_to_recordset(before) AS b (period text, period_start date,
                  village_code text, measured bigint, stunted bigint, severely_stunted bigint, weighed bigint,
                  underweight bigint, wasting_measured bigint, wasted bigint)
              UNION ALL
              SELECT 1, a.* FROM jsonb_to_recordset(after) AS a (period text, period_start date,
                  village_code text, measured bigint, stunted bigint, severely_stunted bigint, weighed bigint,
                  underweight bigint, wasting_measured bigint, wasted bigint)) s
        GROUP BY 1, 2, 3
    ), tiers AS (
        SELECT 'village' AS tier, d.* FROM delta d
        UNION ALL
        SELECT 'district', period, period_start, left(village_code, 5), sum(measured), sum(stunted),
               sum(severely_stunted), sum(weighed), sum(underweight), sum(wasting_measured), sum(wasted)
        FROM delta GROUP BY 2, 3, 4
    )
    INSERT INTO prevalence_counts AS c
    SELECT * FROM tiers
    WHERE measured <> 0 OR stunted <> 0 OR severely_stunted <> 0 OR weighed <> 0 OR underweight <> 0
       OR wasting_measured <> 0 OR wasted <> 0
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (tier, period, period_start, region_code) DO UPDATE SET
        measured = c.measured + EXCLUDED.measured, stunted = c.stunted + EXCLUDED.stunted,
        severely_stunted = c.severely_stunted + EXCLUDED.severely_stunted,
        weighed = c.weighed + EXCLUDED.weighed, underweight = c.underweight + EXCLUDED.underweight,
        wasting_measured = c.wasting_measured + EXCLUDED.wasting_measured, wasted = c.wasted + EXCLUDED.wasted
$$;

-- A statement changed measurements: `gone` are the rows as they were, `came` as they are. The
-- children concerned are locked first (in id order), so two transactions writing one child's
-- measurements take turns and the second sees the first's rows; then each child's counts
-- before the statement (today's rows without `came`, with `gone`) are swapped for today's.
CREATE FUNCTION prevalence_measurements_changed(gone measurements[], came measurements[])
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

CREATE FUNCTION prevalence_measurements_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM prevalence_measurements_changed('{}'::measurements[], (SELECT array_agg(n::measurements) FROM came n));
    RETURN NULL;
END;
$$;
CREATE FUNCTION prevalence_measurements_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM prevalence_measurements_changed((SELECT array_agg(o::measurements) FROM gone o), (SELECT array_agg(n::measurements) FROM came n));
    RETURN NULL;
END;
$$;
CREATE FUNCTION prevalence_measurements_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM prevalence_measurements_changed((SELECT array_agg(o::measurements) FROM gone o), '{}'::measurements[]);
    RETURN NULL;
END;
$$;
CREATE TRIGGER prevalence_measurements_inserted AFTER INSERT ON measurements
    REFERENCING NEW TABLE AS came FOR EACH STATEMENT EXECUTE FUNCTION prevalence_measurements_inserted();
CREATE TRIGGER prevalence_measurements_updated AFTER UPDATE ON measurements
    REFERENCING OLD TABLE AS gone NEW TABLE AS came FOR EACH STATEMENT EXECUTE FUNCTION prevalence_measurements_updated();
CREATE TRIGGER prevalence_measurements_deleted AFTER DELETE ON measurements
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION prevalence_measurements_deleted();

-- A child moved village or was removed (or restored): their counts move with them. The
-- statement holds the children's row locks, so no measurement of theirs changes meanwhile.
CREATE FUNCTION prevalence_children_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    moved uuid[];
    batch measurements[];
BEGIN
    SELECT array_agg(n.id) INTO moved FROM came n JOIN gone o ON o.id = n.id
    WHERE n.village_code IS DISTINCT FROM o.village_code OR (n.deleted_at IS NULL) <> (o.deleted_at IS NULL);
    IF moved IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT coalesce(array_agg(m), '{}') INTO batch FROM measurements m WHERE m.child_id = ANY (moved);
    PERFORM prevalence_shift(
        (SELECT coalesce(jsonb_agg(b), '[]') FROM prevalence_of(batch,
            (SELECT coalesce(jsonb_object_agg(o.id::text, o.village_code), '{}') FROM gone o
             WHERE o.id = ANY (moved) AND o.deleted_at IS NULL)) b),
        (SELECT coalesce(jsonb_agg(a), '[]') FROM prevalence_of(batch,
            (SELECT coalesce(jsonb_object_agg(n.id::text, n.village_code), '{}') FROM came n
             WHERE n.id = ANY (moved) AND n.deleted_at IS NULL)) a));
    RETURN NULL;
END;
$$;
CREATE TRIGGER prevalence_children_updated AFTER UPDATE ON children
    REFERENCING OLD TABLE AS gone NEW TABLE AS came FOR EACH STATEMENT EXECUTE FUNCTION prevalence_children_updated();

-- The counts from scratch: what the kept rows must always equal (the tests compare them), and
-- how they are rebuilt after a bulk load that bypassed the triggers.
CREATE FUNCTION prevalence_from_rows()
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

CREATE FUNCTION prevalence_rebuild() RETURNS void LANGUAGE sql AS $$
    TRUNCATE prevalence_counts;
    INSERT INTO prevalence_counts SELECT * FROM prevalence_from_rows();
$$;

SELECT prevalence_rebuild();
ANALYZE prevalence_counts;
