-- Data checks beyond WHO's implausible z-scores (the rules, their thresholds and sources are
-- in src/domain/quality.rs): each measurement carries the flags the checks gave it, an officer
-- may mark a flagged one checked (it is kept and counts again), and the counts per posyandu,
-- village and tier above are kept per month in the writing transaction, with the lengths ending
-- in .0 or .5 that show heaping.
ALTER TABLE measurements
    -- The age the measurer wrote down, in completed months (e-PPGBM's "usia saat ukur").
    ADD COLUMN reported_age_months integer CHECK (reported_age_months BETWEEN 0 AND 71),
    ADD COLUMN quality_flags text[] NOT NULL DEFAULT '{}'
        CHECK (quality_flags <@ ARRAY['length_decrease', 'weight_jump', 'age_mismatch']::text[]),
    ADD COLUMN checked_at timestamptz,
    ADD COLUMN checked_by uuid REFERENCES users (id),
    ADD COLUMN checked_note text,
    -- Flagged by a data check and not yet checked: left out of prevalence and of cases.
    ADD COLUMN held boolean NOT NULL GENERATED ALWAYS AS (cardinality(quality_flags) > 0 AND checked_at IS NULL) STORED;

-- Prevalence counts a child at the latest measurement with a valid length-for-age: now also
-- one no data check holds back (migrations 000010 and 000019 otherwise unchanged).
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
        WHERE m.voided_at IS NULL AND m.haz IS NOT NULL AND NOT m.haz_implausible AND NOT m.held
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
          AND NOT m.held
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

-- The kept counts, per tier, month (of measured_on) and area, every measure in one row. A
-- posyandu's area is its village's code, a dot and its id, as in skdn_counts; the posyandu is
-- where the measurement was taken (heaping is the measurer's habit), the village and the
-- tiers above where the child is registered now (as prevalence counts her).
CREATE TABLE quality_counts (
    tier             text NOT NULL CHECK (tier IN ('posyandu', 'village', 'subdistrict', 'district', 'province')),
    month            date NOT NULL,
    area             text COLLATE "C" NOT NULL,
    -- Living measurements.
    measured         bigint NOT NULL,
    -- Of them, with any flag: WHO's implausible z-scores or a data check's.
    flagged          bigint NOT NULL,
    implausible      bigint NOT NULL,
    -- Of them, with an implausible length-for-age: left out of stunting prevalence.
    implausible_haz  bigint NOT NULL,
    length_decrease  bigint NOT NULL,
    weight_jump      bigint NOT NULL,
    age_mismatch     bigint NOT NULL,
    -- Flagged by a data check and checked by an officer: counted again.
    checked          bigint NOT NULL,
    -- Flagged by a data check and not checked: left out of prevalence.
    held             bigint NOT NULL,
    -- Lengths ending in .0 or .5 (read to the tenth of a centimetre).
    heaped           bigint NOT NULL,
    PRIMARY KEY (tier, month, area)
        INCLUDE (measured, flagged, implausible, implausible_haz, length_decrease, weight_jump, age_mismatch, checked, held, heaped)
);

-- Whether a length ends in .0 or .5, read to the tenth of a centimetre: what heaping counts.
CREATE FUNCTION length_heaped(length_cm double precision) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT round(length_cm * 10)::bigint % 5 = 0
$$;

-- What one measurement counts, in its month.
CREATE FUNCTION quality_of(r measurements) RETURNS TABLE (month date, measure text)
LANGUAGE sql IMMUTABLE AS $$
    SELECT date_trunc('month', r.measured_on)::date, m
    FROM unnest(ARRAY['measured']
                || CASE WHEN r.haz_implausible OR r.waz_implausible OR r.whz_implausible
                             OR cardinality(r.quality_flags) > 0 THEN ARRAY['flagged'] ELSE '{}'::text[] END
                || CASE WHEN r.haz_implausible OR r.waz_implausible OR r.whz_implausible
                        THEN ARRAY['implausible'] ELSE '{}'::text[] END
                || CASE WHEN r.haz_implausible THEN ARRAY['implausible_haz'] ELSE '{}'::text[] END
                || r.quality_flags
                || CASE WHEN cardinality(r.quality_flags) > 0 AND r.checked_at IS NOT NULL
                        THEN ARRAY['checked'] ELSE '{}'::text[] END
                || CASE WHEN r.held THEN ARRAY['held'] ELSE '{}'::text[] END
                || CASE WHEN length_heaped(r.length_cm) THEN ARRAY['heaped'] ELSE '{}'::text[] END) m
    WHERE r.voided_at IS NULL
$$;

-- Contributions (month, village, posyandu area, measure, n) summed into quality_counts rows:
-- the pivot both the triggers and the recount use.
CREATE FUNCTION quality_pivot_sql(contributions text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT format(
        'SELECT g.tier, g.month, g.area, '
        'coalesce(sum(g.n) FILTER (WHERE g.measure = ''measured''), 0)::bigint, '
        'coalesce(sum(g.n) FILTER (WHERE g.measure = ''flagged''), 0)::bigint, '
        'coalesce(sum(g.n) FILTER (WHERE g.measure = ''implausible''), 0)::bigint, '
        'coalesce(sum(g.n) FILTER (WHERE g.measure = ''implausible_haz''), 0)::bigint, '
        'coalesce(sum(g.n) FILTER (WHERE g.measure = ''length_decrease''), 0)::bigint, '
        'coalesce(sum(g.n) FILTER (WHERE g.measure = ''weight_jump''), 0)::bigint, '
        'coalesce(sum(g.n) FILTER (WHERE g.measure = ''age_mismatch''), 0)::bigint, '
        'coalesce(sum(g.n) FILTER (WHERE g.measure = ''checked''), 0)::bigint, '
        'coalesce(sum(g.n) FILTER (WHERE g.measure = ''held''), 0)::bigint, '
        'coalesce(sum(g.n) FILTER (WHERE g.measure = ''heaped''), 0)::bigint '
        'FROM (SELECT t.tier, d.month, t.area, d.measure, sum(d.n) AS n '
        '      FROM (%s) d CROSS JOIN LATERAL quality_tiers(d.village_code, d.posyandu_area) t '
        '      GROUP BY 1, 2, 3, 4 HAVING sum(d.n) <> 0) g '
        'GROUP BY 1, 2, 3', contributions)
$$;

-- The rows a measurement counts in: its posyandu's (if taken at one), its child's village's and
-- the tiers above.
CREATE FUNCTION quality_tiers(village text, posyandu_area text) RETURNS TABLE (tier text, area text)
LANGUAGE sql IMMUTABLE AS $$
    SELECT 'posyandu', posyandu_area WHERE posyandu_area IS NOT NULL
    UNION ALL
    VALUES ('village', village), ('subdistrict', left(village, 8)), ('district', left(village, 5)),
           ('province', left(village, 2))
$$;

-- The contributions of the measurements in `rows` (an SQL relation of measurements, aliased
-- r), each with its child's village (`village`: an expression over c, the child) and `sign`.
CREATE FUNCTION quality_contributions_sql(rows text, village text, sign integer) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT format(
        'SELECT x.month, %2$s AS village_code, p.village_code || ''.'' || p.id AS posyandu_area, x.measure, '
        '%3$s::bigint AS n '
        'FROM %1$s LEFT JOIN posyandu p ON p.id = r.posyandu_id, LATERAL quality_of(r) x', rows, village, sign)
$$;

-- The statement that adds what the changed rows count and takes away what they counted, in key
-- order so that two writers cannot deadlock. Increments commute. (The trigger runs it: only the
-- trigger function itself sees its transition tables.)
CREATE FUNCTION quality_apply_sql(contributions text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT format(
        'INSERT INTO quality_counts AS q %s ORDER BY 1, 2, 3 '
        'ON CONFLICT (tier, month, area) DO UPDATE SET measured = q.measured + EXCLUDED.measured, '
        'flagged = q.flagged + EXCLUDED.flagged, implausible = q.implausible + EXCLUDED.implausible, '
        'implausible_haz = q.implausible_haz + EXCLUDED.implausible_haz, '
        'length_decrease = q.length_decrease + EXCLUDED.length_decrease, '
        'weight_jump = q.weight_jump + EXCLUDED.weight_jump, age_mismatch = q.age_mismatch + EXCLUDED.age_mismatch, '
        'checked = q.checked + EXCLUDED.checked, held = q.held + EXCLUDED.held, heaped = q.heaped + EXCLUDED.heaped',
        quality_pivot_sql(contributions))
$$;

-- A statement changed measurements: each counts where its child lives now.
CREATE FUNCTION quality_measurements_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    parts text[] := '{}';
    child text := ' JOIN children c ON c.id = r.child_id AND c.deleted_at IS NULL';
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        parts := parts || quality_contributions_sql('gone r' || child, 'c.village_code', -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        parts := parts || quality_contributions_sql('came r' || child, 'c.village_code', 1);
    END IF;
    EXECUTE quality_apply_sql(array_to_string(parts, ' UNION ALL '));
    RETURN NULL;
END;
$$;

-- A statement moved children to another village, or removed or restored them: their
-- measurements' counts move with them. (A child with measurements cannot be deleted.)
CREATE FUNCTION quality_children_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    moved text := '(SELECT o.id, o.village_code AS was, o.deleted_at IS NULL AS was_living, '
                  'n.village_code AS now, n.deleted_at IS NULL AS now_living '
                  'FROM gone o JOIN came n ON n.id = o.id '
                  'WHERE (o.village_code, o.deleted_at IS NULL) IS DISTINCT FROM (n.village_code, n.deleted_at IS NULL))';
BEGIN
    EXECUTE quality_apply_sql(
        quality_contributions_sql(format('%s c JOIN measurements r ON r.child_id = c.id AND c.was_living', moved),
                                  'c.was', -1)
        || ' UNION ALL '
        || quality_contributions_sql(format('%s c JOIN measurements r ON r.child_id = c.id AND c.now_living', moved),
                                     'c.now', 1));
    RETURN NULL;
END;
$$;

CREATE TRIGGER quality_measurements_inserted AFTER INSERT ON measurements REFERENCING NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION quality_measurements_changed();
CREATE TRIGGER quality_measurements_updated AFTER UPDATE ON measurements
    REFERENCING OLD TABLE AS gone NEW TABLE AS came FOR EACH STATEMENT EXECUTE FUNCTION quality_measurements_changed();
CREATE TRIGGER quality_measurements_deleted AFTER DELETE ON measurements REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION quality_measurements_changed();
CREATE TRIGGER quality_children_updated AFTER UPDATE ON children
    REFERENCING OLD TABLE AS gone NEW TABLE AS came FOR EACH STATEMENT EXECUTE FUNCTION quality_children_changed();

-- Every count as the rows give it: what the kept rows must equal (the tests compare them).
CREATE FUNCTION quality_counts_from_rows() RETURNS SETOF quality_counts LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY EXECUTE quality_pivot_sql(quality_contributions_sql(
        'measurements r JOIN children c ON c.id = r.child_id AND c.deleted_at IS NULL', 'c.village_code', 1));
END;
$$;

-- Counts every row again from nothing: after a bulk load with the triggers off (the demo
-- generator), and here for the records already written.
CREATE FUNCTION quality_counts_rebuild() RETURNS void LANGUAGE sql AS $$
    DELETE FROM quality_counts;
    INSERT INTO quality_counts SELECT * FROM quality_counts_from_rows();
$$;
SELECT quality_counts_rebuild();
