-- SKDN, the posyandu's monthly weighing, kept per month for every posyandu, village and tier
-- above in the writing transaction, as the other counts are (migrations 000010, 000025):
-- - S: under-fives of the area: living children in the 60 calendar months from the month of
--   their birth, counted where they are registered now (their village; their posyandu, one of
--   that village's). Kept as births per month (`born`); S of a month is the births of the 60
--   months up to it. K: those of them with a KMS/KIA book (`born_kia`).
-- - D: those weighed in the month (a living measurement with a weight; a child weighed twice
--   counts once, at the latest weighing of the month), in those same 60 months, counted where
--   she is registered, as S is, so D never exceeds S.
-- - Of D: N, weight risen since last month's weighing by at least the KMS minimum for her age
--   (KBM, data/kbm.csv); T, weighed last month too but not risen enough; O, weighed before but
--   not last month; B, weighed for the first time. D = N + T + O + B.
-- - 2T: T this month and last month. BGM: weight-for-age below -3 at the month's weighing.

-- The KMS minimum weight gain per month of age (Permenkes 155/2010), as data/kbm.csv gives it.
CREATE TABLE kbm_min_gain (
    age_months  integer PRIMARY KEY CHECK (age_months BETWEEN 1 AND 59),
    min_gain_g  integer NOT NULL CHECK (min_gain_g > 0)
);
INSERT INTO kbm_min_gain
SELECT m, CASE WHEN m = 1 THEN 800 WHEN m = 2 THEN 900 WHEN m = 3 THEN 800 WHEN m = 4 THEN 600
               WHEN m = 5 THEN 500 WHEN m <= 7 THEN 400 WHEN m <= 10 THEN 300 ELSE 200 END
FROM generate_series(1, 59) m;

-- The least gain, in grams, for a weighing on `weighed` of a child born on `born`: by her age in
-- completed months (a weighing before one month is judged as at one month).
CREATE FUNCTION kbm_grams(born date, weighed date) RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT k.min_gain_g FROM kbm_min_gain k
    WHERE k.age_months = least(59, greatest(1, (extract(year FROM age(weighed, born)) * 12
                                                + extract(month FROM age(weighed, born)))::integer))
$$;

-- One row per child and month she was weighed in: how the month's latest weighing judges her.
CREATE TABLE weighing_months (
    child_id      uuid NOT NULL,
    month         date NOT NULL,
    village_code  text COLLATE "C" NOT NULL,
    posyandu_id   uuid,
    status        text NOT NULL CHECK (status IN ('rose', 'not_rose', 'missed_last', 'new')),
    two_t         boolean NOT NULL,
    bgm           boolean NOT NULL,
    PRIMARY KEY (child_id, month)
);
-- A village's (or posyandu's) children of one month: the worklists' and data checks' reads.
CREATE INDEX weighing_months_village_idx ON weighing_months (village_code, month);

-- What weighing_months must hold. A filter on child_id reaches the measurements' index.
CREATE VIEW weighing_months_from_rows AS
WITH latest AS (
    SELECT DISTINCT ON (m.child_id, date_trunc('month', m.measured_on))
           m.child_id, date_trunc('month', m.measured_on)::date AS month, m.measured_on, m.weight_kg,
           coalesce(m.waz < -3 AND NOT m.waz_implausible, false) AS bgm
    FROM measurements m
    WHERE m.voided_at IS NULL AND m.weight_kg IS NOT NULL
    ORDER BY m.child_id, date_trunc('month', m.measured_on), m.measured_on DESC, m.created_at DESC, m.id DESC
), paired AS (
    SELECT l.*, lag(l.month) OVER w AS last_month, lag(l.weight_kg) OVER w AS last_weight
    FROM latest l
    WINDOW w AS (PARTITION BY l.child_id ORDER BY l.month)
), judged AS (
    SELECT p.child_id, p.month, c.village_code, c.posyandu_id, p.bgm,
           date_trunc('month', c.birth_date)::date AS born,
           CASE WHEN p.last_month IS NULL THEN 'new'
                WHEN p.last_month < (p.month - interval '1 month')::date THEN 'missed_last'
                WHEN round(((p.weight_kg - p.last_weight) * 1000)::numeric) >= kbm_grams(c.birth_date, p.measured_on)
                    THEN 'rose'
                ELSE 'not_rose' END AS status
    FROM paired p JOIN children c ON c.id = p.child_id
    WHERE c.deleted_at IS NULL
)
SELECT j.child_id, j.month, j.village_code, j.posyandu_id, j.status,
       coalesce(j.status = 'not_rose'
                AND lag(j.status) OVER (PARTITION BY j.child_id ORDER BY j.month) = 'not_rose', false) AS two_t,
       j.bgm
FROM judged j
WHERE j.month BETWEEN j.born AND (j.born + interval '59 months')::date;

-- Brings these children's months in line with their rows, writing only the months that differ
-- (their counts follow through the triggers below). Every writer about a child holds her row
-- lock, so two refreshes of one child do not interleave.
CREATE FUNCTION weighing_months_refresh(kids uuid[]) RETURNS void LANGUAGE sql AS $$
    DELETE FROM weighing_months w
    WHERE w.child_id = ANY (kids)
      AND NOT EXISTS (SELECT 1 FROM weighing_months_from_rows n
                      WHERE n.child_id = ANY (kids) AND (n.child_id, n.month) = (w.child_id, w.month)
                        AND (n.village_code, n.posyandu_id, n.status, n.two_t, n.bgm)
                            IS NOT DISTINCT FROM (w.village_code, w.posyandu_id, w.status, w.two_t, w.bgm));
    INSERT INTO weighing_months
    SELECT n.* FROM weighing_months_from_rows n
    WHERE n.child_id = ANY (kids)
      AND NOT EXISTS (SELECT 1 FROM weighing_months w WHERE (w.child_id, w.month) = (n.child_id, n.month))
    ORDER BY 1, 2;
$$;

-- A statement changed measurements or children: refresh the children whose rows changed in a
-- way that moves their months (a new z-score of the same weight, a renamed child, do not).
CREATE FUNCTION weighing_months_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kids uuid[];
    span text := CASE TG_TABLE_NAME
        WHEN 'measurements' THEN 'r.child_id AS kid, r.measured_on, r.weight_kg, r.waz, r.waz_implausible, r.voided_at'
        ELSE 'r.id AS kid, r.village_code, r.posyandu_id, r.birth_date, r.deleted_at' END;
    changed text := CASE TG_OP
        WHEN 'INSERT' THEN format('SELECT %s FROM came r', span)
        WHEN 'DELETE' THEN format('SELECT %s FROM gone r', span)
        ELSE format('(SELECT %1$s FROM gone r EXCEPT SELECT %1$s FROM came r) '
                    'UNION (SELECT %1$s FROM came r EXCEPT SELECT %1$s FROM gone r)', span) END;
BEGIN
    EXECUTE format('SELECT array_agg(DISTINCT d.kid ORDER BY d.kid) FROM (%s) d', changed) INTO kids;
    IF kids IS NOT NULL THEN
        PERFORM weighing_months_refresh(kids);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER skdn_measurements_inserted AFTER INSERT ON measurements REFERENCING NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION weighing_months_changed();
CREATE TRIGGER skdn_measurements_updated AFTER UPDATE ON measurements REFERENCING OLD TABLE AS gone NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION weighing_months_changed();
CREATE TRIGGER skdn_measurements_deleted AFTER DELETE ON measurements REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION weighing_months_changed();
-- A new child has no weighings yet; a changed or deleted one moves or drops hers.
CREATE TRIGGER skdn_children_months_updated AFTER UPDATE ON children REFERENCING OLD TABLE AS gone NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION weighing_months_changed();
CREATE TRIGGER skdn_children_months_deleted AFTER DELETE ON children REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION weighing_months_changed();

-- The kept counts: per tier, month and area, every measure in one row (a reader wants them
-- all, and one row for nine measures is a ninth of the index to read). A posyandu's area is its
-- village's code, a dot and its id, so it sorts inside its village's range of codes. `born` and
-- `born_kia` count the children born in the month; the rest, that month's weighings.
CREATE TABLE skdn_counts (
    tier         text NOT NULL CHECK (tier IN ('posyandu', 'village', 'subdistrict', 'district', 'province')),
    month        date NOT NULL,
    area         text COLLATE "C" NOT NULL,
    born         bigint NOT NULL,
    born_kia     bigint NOT NULL,
    weighed      bigint NOT NULL,
    rose         bigint NOT NULL,
    not_rose     bigint NOT NULL,
    missed_last  bigint NOT NULL,
    new          bigint NOT NULL,
    two_t        bigint NOT NULL,
    bgm          bigint NOT NULL,
    PRIMARY KEY (tier, month, area)
        INCLUDE (born, born_kia, weighed, rose, not_rose, missed_last, new, two_t, bgm)
);

-- Contributions (month, village, posyandu, measure, n) summed into skdn_counts rows: the
-- pivot both the trigger and the recount use.
CREATE FUNCTION skdn_pivot_sql(contributions text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT format(
        'SELECT g.tier, g.month, g.area, '
        'coalesce(sum(g.n) FILTER (WHERE g.measure = ''born''), 0)::bigint, '
        'coalesce(sum(g.n) FILTER (WHERE g.measure = ''born_kia''), 0)::bigint, '
        'coalesce(sum(g.n) FILTER (WHERE g.measure = ''weighed''), 0)::bigint, '
        'coalesce(sum(g.n) FILTER (WHERE g.measure = ''rose''), 0)::bigint, '
        'coalesce(sum(g.n) FILTER (WHERE g.measure = ''not_rose''), 0)::bigint, '
        'coalesce(sum(g.n) FILTER (WHERE g.measure = ''missed_last''), 0)::bigint, '
        'coalesce(sum(g.n) FILTER (WHERE g.measure = ''new''), 0)::bigint, '
        'coalesce(sum(g.n) FILTER (WHERE g.measure = ''two_t''), 0)::bigint, '
        'coalesce(sum(g.n) FILTER (WHERE g.measure = ''bgm''), 0)::bigint '
        'FROM (SELECT t.tier, d.month, t.area, d.measure, sum(d.n) AS n '
        '      FROM (%s) d CROSS JOIN LATERAL skdn_tiers(d.village_code, d.posyandu_id) t '
        '      GROUP BY 1, 2, 3, 4 HAVING sum(d.n) <> 0) g '
        'GROUP BY 1, 2, 3', contributions)
$$;

-- The rows a child's count is kept in: her posyandu's (if any), her village's and the tiers above.
CREATE FUNCTION skdn_tiers(village text, posyandu uuid) RETURNS TABLE (tier text, area text)
LANGUAGE sql IMMUTABLE AS $$
    SELECT 'posyandu', village || '.' || posyandu WHERE posyandu IS NOT NULL
    UNION ALL
    VALUES ('village', village), ('subdistrict', left(village, 8)), ('district', left(village, 5)),
           ('province', left(village, 2))
$$;

-- What a child counts: her birth month, for S and K.
CREATE FUNCTION skdn_of_child(r children)
RETURNS TABLE (month date, village_code text, posyandu_id uuid, measure text, n bigint)
LANGUAGE sql IMMUTABLE AS $$
    SELECT date_trunc('month', r.birth_date)::date, r.village_code, r.posyandu_id, m, 1::bigint
    FROM unnest(ARRAY['born'] || CASE WHEN r.kia_book THEN ARRAY['born_kia'] ELSE '{}'::text[] END) m
    WHERE r.deleted_at IS NULL
$$;

-- What a child's weighed month counts: D, her status, 2T and BGM.
CREATE FUNCTION skdn_of_weighing(r weighing_months)
RETURNS TABLE (month date, village_code text, posyandu_id uuid, measure text, n bigint)
LANGUAGE sql IMMUTABLE AS $$
    SELECT r.month, r.village_code, r.posyandu_id, m, 1::bigint
    FROM unnest(ARRAY['weighed', r.status]
                || CASE WHEN r.two_t THEN ARRAY['two_t'] ELSE '{}'::text[] END
                || CASE WHEN r.bgm THEN ARRAY['bgm'] ELSE '{}'::text[] END) m
$$;

-- A statement changed rows of the table this trigger is on: adds what `came` counts and takes
-- away what `gone` counted (TG_ARGV[0] names the row's function), in key order so that two
-- writers cannot deadlock. Increments commute.
CREATE FUNCTION skdn_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    parts text[] := '{}';
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        parts := parts || format('SELECT x.month, x.village_code, x.posyandu_id, x.measure, -x.n AS n '
                                 'FROM gone r, LATERAL %I(r) x', TG_ARGV[0]);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        parts := parts || format('SELECT x.month, x.village_code, x.posyandu_id, x.measure, x.n '
                                 'FROM came r, LATERAL %I(r) x', TG_ARGV[0]);
    END IF;
    EXECUTE format(
        'INSERT INTO skdn_counts AS c %s ORDER BY 1, 2, 3 '
        'ON CONFLICT (tier, month, area) DO UPDATE SET born = c.born + EXCLUDED.born, '
        'born_kia = c.born_kia + EXCLUDED.born_kia, weighed = c.weighed + EXCLUDED.weighed, '
        'rose = c.rose + EXCLUDED.rose, not_rose = c.not_rose + EXCLUDED.not_rose, '
        'missed_last = c.missed_last + EXCLUDED.missed_last, new = c.new + EXCLUDED.new, '
        'two_t = c.two_t + EXCLUDED.two_t, bgm = c.bgm + EXCLUDED.bgm',
        skdn_pivot_sql(array_to_string(parts, ' UNION ALL ')));
    RETURN NULL;
END;
$$;

CREATE TRIGGER skdn_children_inserted AFTER INSERT ON children REFERENCING NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION skdn_changed('skdn_of_child');
CREATE TRIGGER skdn_children_updated AFTER UPDATE ON children REFERENCING OLD TABLE AS gone NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION skdn_changed('skdn_of_child');
CREATE TRIGGER skdn_children_deleted AFTER DELETE ON children REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION skdn_changed('skdn_of_child');
CREATE TRIGGER skdn_weighing_months_inserted AFTER INSERT ON weighing_months REFERENCING NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION skdn_changed('skdn_of_weighing');
CREATE TRIGGER skdn_weighing_months_updated AFTER UPDATE ON weighing_months REFERENCING OLD TABLE AS gone NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION skdn_changed('skdn_of_weighing');
CREATE TRIGGER skdn_weighing_months_deleted AFTER DELETE ON weighing_months REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION skdn_changed('skdn_of_weighing');

-- Every count as the rows give it (weighed months recomputed from the measurements, so a
-- drifted weighing_months shows too).
CREATE FUNCTION skdn_counts_from_rows() RETURNS SETOF skdn_counts LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY EXECUTE skdn_pivot_sql(
        'SELECT x.* FROM children r, LATERAL skdn_of_child(r) x '
        'UNION ALL '
        'SELECT x.* FROM weighing_months_from_rows r, '
        'LATERAL skdn_of_weighing(ROW(r.child_id, r.month, r.village_code, r.posyandu_id, r.status, r.two_t, '
        'r.bgm)::weighing_months) x');
END;
$$;

-- Counts every row again from nothing: after a bulk load with the triggers off (the demo
-- generator), and here for the records already written.
CREATE FUNCTION skdn_counts_rebuild() RETURNS void LANGUAGE sql AS $$
    ALTER TABLE weighing_months DISABLE TRIGGER USER;
    DELETE FROM weighing_months;
    INSERT INTO weighing_months SELECT * FROM weighing_months_from_rows;
    ALTER TABLE weighing_months ENABLE TRIGGER USER;
    DELETE FROM skdn_counts;
    INSERT INTO skdn_counts SELECT * FROM skdn_counts_from_rows();
$$;
SELECT skdn_counts_rebuild();
