-- The first 1,000 days' statistics, kept per calendar period for every village, district and
-- province in the writing transaction, as prevalence is (migration 000010). Each statistic is a count of
-- one measure; a rate is one measure over another (records::stats::pathway names which).
--
-- Every measure is a function of one row (a screening, a pregnancy), so a statement's change
-- is the contributions of the rows as they are minus those of the rows as they were: moves,
-- voids and removals need no recount. Definitions, exactly as the rows give them:
-- - a living catin screening counts on the day it was taken, with its risk factors;
-- - a living pregnancy counts on the day it ended (its outcome's date), with what its living
--   visits and its outcome added up to (kept on the pregnancy by the service).
CREATE TABLE pathway_counts (
    tier          text NOT NULL CHECK (tier IN ('village', 'district', 'province')),
    period        text NOT NULL CHECK (period IN ('month', 'quarter', 'semester', 'year')),
    period_start  date NOT NULL,
    region_code   text COLLATE "C" NOT NULL,
    measure       text NOT NULL,
    value         bigint NOT NULL,
    -- Measures before regions, and the value in the index: a dashboard asks for a few
    -- measures over a range of regions, and reads them from the index alone.
    PRIMARY KEY (tier, period, period_start, measure, region_code) INCLUDE (value)
);

-- The rows a village's count is kept in: its own, its district's and its province's.
CREATE FUNCTION pathway_tiers(village text) RETURNS TABLE (tier text, code text)
LANGUAGE sql IMMUTABLE AS $$
    VALUES ('village', village), ('district', left(village, 5)), ('province', left(village, 2))
$$;

-- What one screening counts: the day, the village and each measure it adds one to.
CREATE FUNCTION pathway_of_screening(r catin_screenings)
RETURNS TABLE (day date, village_code text, measure text, n bigint)
LANGUAGE sql IMMUTABLE AS $$
    SELECT r.screened_on, r.village_code, m, 1::bigint
    FROM unnest(ARRAY['catin_screened']
                || CASE WHEN r.at_risk THEN ARRAY['catin_at_risk'] ELSE '{}'::text[] END
                || ARRAY(SELECT 'catin_' || f FROM unnest(r.risk_factors) f)) m
    WHERE r.voided_at IS NULL
$$;

-- What one pregnancy counts once it has ended.
CREATE FUNCTION pathway_of_pregnancy(r pregnancies)
RETURNS TABLE (day date, village_code text, measure text, n bigint)
LANGUAGE sql IMMUTABLE AS $$
    SELECT r.ended_on, r.village_code, m.measure, m.n
    FROM (VALUES
        ('pregnancies_ended', 1),
        ('anc_k1', CASE WHEN r.anc_contacts > 0 THEN 1 ELSE 0 END),
        ('anc_k4', CASE WHEN r.anc_k4 THEN 1 ELSE 0 END),
        ('anc_k6', CASE WHEN r.anc_k6 THEN 1 ELSE 0 END),
        ('iron_tablets_90', CASE WHEN r.iron_complete THEN 1 ELSE 0 END),
        ('pregnant_kek', CASE WHEN r.kek THEN 1 ELSE 0 END),
        ('pregnant_anaemia', CASE WHEN r.anaemia THEN 1 ELSE 0 END),
        ('deliveries', CASE WHEN r.outcome IN ('live_birth', 'stillbirth') THEN 1 ELSE 0 END),
        ('kf_complete', CASE WHEN r.kf_done = 15 THEN 1 ELSE 0 END),
        ('postpartum_contraception', CASE WHEN r.contraception IS NOT NULL AND r.contraception <> 'none' THEN 1 ELSE 0 END),
        ('breastfeeding_asked', CASE WHEN r.breastfeeding_exclusive IS NOT NULL THEN 1 ELSE 0 END),
        ('exclusive_breastfeeding', CASE WHEN r.breastfeeding_exclusive THEN 1 ELSE 0 END),
        ('babies', r.babies),
        ('low_birth_weight', r.low_birth_weight_babies),
        ('short_at_birth', r.short_babies)
    ) m (measure, n)
    WHERE r.ended_on IS NOT NULL AND r.deleted_at IS NULL AND m.n <> 0
$$;

-- A statement changed rows of the table this trigger is on: adds what `came` counts and takes
-- away what `gone` counted (TG_ARGV[0] names the row's function), at the village, its district
-- and its province, in key order so that two writers cannot deadlock. Increments commute.
CREATE FUNCTION pathway_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    parts text[] := '{}';
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        parts := parts || format('SELECT x.day, x.village_code, x.measure, -x.n AS n FROM gone r, LATERAL %I(r) x', TG_ARGV[0]);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        parts := parts || format('SELECT x.day, x.village_code, x.measure, x.n FROM came r, LATERAL %I(r) x', TG_ARGV[0]);
    END IF;
    EXECUTE format(
        'INSERT INTO pathway_counts AS c (tier, period, period_start, region_code, measure, value) '
        'SELECT t.tier, p.period, p.period_start, t.code, d.measure, sum(d.n) '
        'FROM (%s) d CROSS JOIN LATERAL calendar_periods(d.day) p '
        'CROSS JOIN LATERAL pathway_tiers(d.village_code) t '
        'GROUP BY 1, 2, 3, 4, 5 HAVING sum(d.n) <> 0 ORDER BY 1, 2, 3, 4, 5 '
        'ON CONFLICT (tier, period, period_start, measure, region_code) DO UPDATE SET value = c.value + EXCLUDED.value',
        array_to_string(parts, ' UNION ALL '));
    RETURN NULL;
END;
$$;

CREATE TRIGGER pathway_screenings_inserted AFTER INSERT ON catin_screenings REFERENCING NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION pathway_changed('pathway_of_screening');
CREATE TRIGGER pathway_screenings_updated AFTER UPDATE ON catin_screenings REFERENCING OLD TABLE AS gone NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION pathway_changed('pathway_of_screening');
CREATE TRIGGER pathway_screenings_deleted AFTER DELETE ON catin_screenings REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION pathway_changed('pathway_of_screening');
CREATE TRIGGER pathway_pregnancies_inserted AFTER INSERT ON pregnancies REFERENCING NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION pathway_changed('pathway_of_pregnancy');
CREATE TRIGGER pathway_pregnancies_updated AFTER UPDATE ON pregnancies REFERENCING OLD TABLE AS gone NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION pathway_changed('pathway_of_pregnancy');
CREATE TRIGGER pathway_pregnancies_deleted AFTER DELETE ON pregnancies REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION pathway_changed('pathway_of_pregnancy');

-- Every count as the rows give it: what the kept counts must equal (the tests compare them).
CREATE FUNCTION pathway_counts_from_rows() RETURNS SETOF pathway_counts LANGUAGE sql STABLE AS $$
    SELECT t.tier, p.period, p.period_start, t.code, d.measure, sum(d.n)::bigint
    FROM (SELECT x.* FROM catin_screenings r, LATERAL pathway_of_screening(r) x
          UNION ALL SELECT x.* FROM pregnancies r, LATERAL pathway_of_pregnancy(r) x) d
    CROSS JOIN LATERAL calendar_periods(d.day) p
    CROSS JOIN LATERAL pathway_tiers(d.village_code) t
    GROUP BY 1, 2, 3, 4, 5 HAVING sum(d.n) <> 0
$$;

-- Counts every row again from nothing: after a bulk load with the triggers off (the demo
-- generator), and here for the records already written (none on a new database).
CREATE FUNCTION pathway_counts_rebuild() RETURNS void LANGUAGE sql AS $$
    DELETE FROM pathway_counts;
    INSERT INTO pathway_counts SELECT * FROM pathway_counts_from_rows();
$$;
SELECT pathway_counts_rebuild();
