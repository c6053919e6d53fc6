-- Intervention coverage kept per calendar period (month, quarter, semester, year), type and
-- region, in the writing transaction, so a national breakdown reads hundreds of kept rows
-- instead of every activity and report. For each period: the activities whose dates touch it,
-- the sum of their targets, and the sum of their current monthly reports inside it.
-- 'own' rows count the activities of exactly that region (any tier); 'district' rows count
-- every activity of the district or below it; 'upper' rows repeat the own rows of provinces
-- (activities above district level), so a breakdown by district reads 'district' and 'upper'
-- rows only; 'province' rows count every activity of the province, so the nation's breakdown
-- reads 38 rows per type and period.
CREATE TABLE coverage_counts (
    tier          text NOT NULL CHECK (tier IN ('own', 'district', 'upper', 'province')),
    period        text NOT NULL CHECK (period IN ('month', 'quarter', 'semester', 'year')),
    period_start  date NOT NULL,
    region_code   text COLLATE "C" NOT NULL,
    type_code     text NOT NULL,
    activities    bigint NOT NULL DEFAULT 0,
    target        bigint NOT NULL DEFAULT 0,
    reached       bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tier, period, period_start, region_code, type_code)
);

-- Every calendar period the dates from `first` to `last` touch.
CREATE FUNCTION calendar_periods_between(first date, last date) RETURNS TABLE (period text, period_start date)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT DISTINCT p.period, p.period_start
    FROM generate_series(date_trunc('month', first), last, interval '1 month') m
    CROSS JOIN LATERAL calendar_periods(m::date) p
$$;

-- What activities contribute (as they are in `batch`, with their current reports).
CREATE FUNCTION coverage_of(batch interventions[])
RETURNS TABLE (period text, period_start date, region_code text, type_code text,
               activities bigint, target bigint, reached bigint)
LANGUAGE sql STABLE AS $$
    WITH live AS (SELECT * FROM unnest(batch) a WHERE a.deleted_at IS NULL),
    spans AS (
        SELECT p.period, p.period_start, a.region_code, a.type_code, 1::bigint AS activities, a.target, 0::bigint AS reached
        FROM live a CROSS JOIN LATERAL calendar_periods_between(a.period_start, a.period_end) p
    ), reports AS (
        SELECT p.period, p.period_start, a.region_code, a.type_code, 0::bigint, 0::bigint, r.reached
        FROM live a JOIN intervention_reports r ON r.intervention_id = a.id AND r.superseded_at IS NULL
        CROSS JOIN LATERAL calendar_periods(r.month) p
    )
    SELECT period, period_start, region_code, type_code, sum(activities)::bigint, sum(target)::bigint, sum(reached)::bigint
    FROM (SELECT * FROM spans UNION ALL SELECT * FROM reports) s GROUP BY 1, 2, 3, 4
$$;

-- Adds `after` and takes away `before` at the region's own row and, for an activity at a
-- district or below, at its district's row (above it, at its 'upper' row), and at its
-- province's row. Rows are touched in key order.
CREATE FUNCTION coverage_shift(before jsonb, after jsonb) RETURNS void LANGUAGE sql AS $$
    WITH delta AS (
        SELECT period, period_start, region_code, type_code,
               sum(sign * activities) AS activities, sum(sign * target) AS target, sum(sign * reached) AS reached
        FROM (SELECT -1 AS sign, b.* FROM jsonb_to_recordset(before) AS b (period text, period_start date,
                  region_code text, type_code text, activities bigint, target bigint, reached bigint)
              UNION ALL
              SELECT 1, a.* FROM jsonb_to_recordset(after) AS a (period text, period_start date,
                  region_code text, type_code text, activities bigint, target bigint, reached bigint)) s
        GROUP BY 1, 2, 3, 4
    ), tiers AS (
        SELECT 'own' AS tier, d.* FROM delta d
        UNION ALL
        SELECT 'upper', d.* FROM delta d WHERE length(region_code) < 5
        UNION ALL
        SELECT 'district', period, period_start, left(region_code, 5), type_code,
               sum(activities), sum(target), sum(reached)
        FROM delta WHERE length(region_code) >= 5 GROUP BY 2, 3, 4, 5
        UNION ALL
        SELECT 'province', period, period_start, left(region_code, 2), type_code,
               sum(activities), sum(target), sum(reached)
        FROM delta GROUP BY 2, 3, 4, 5
    )
    INSERT INTO coverage_counts AS c
    SELECT * FROM tiers WHERE activities <> 0 OR target <> 0 OR reached <> 0
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (tier, period, period_start, region_code, type_code) DO UPDATE SET
        activities = c.activities + EXCLUDED.activities, target = c.target + EXCLUDED.target,
        reached = c.reached + EXCLUDED.reached
$$;

-- Activities changed: their whole contribution as they were is swapped for as they are.
-- The statement holds their row locks, and report writers take a share lock on the activity
-- first, so no report of theirs changes meanwhile.
CREATE FUNCTION coverage_activities_changed(gone interventions[], came interventions[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM coverage_shift(
        (SELECT coalesce(jsonb_agg(b), '[]') FROM coverage_of(gone) b),
        (SELECT coalesce(jsonb_agg(a), '[]') FROM coverage_of(came) a));
END;
$$;
CREATE FUNCTION coverage_activities_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM coverage_activities_changed('{}'::interventions[], (SELECT array_agg(n::interventions) FROM came n));
    RETURN NULL;
END;
$$;
CREATE FUNCTION coverage_activities_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM coverage_activities_changed((SELECT array_agg(o::interventions) FROM gone o),
                                        (SELECT array_agg(n::interventions) FROM came n));
    RETURN NULL;
END;
$$;
CREATE FUNCTION coverage_activities_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM coverage_activities_changed((SELECT array_agg(o::interventions) FROM gone o), '{}'::interventions[]);
    RETURN NULL;
END;
$$;
CREATE TRIGGER coverage_activities_inserted AFTER INSERT ON interventions
    REFERENCING NEW TABLE AS came FOR EACH STATEMENT EXECUTE FUNCTION coverage_activities_inserted();
CREATE TRIGGER coverage_activities_updated AFTER UPDATE ON interventions
    REFERENCING OLD TABLE AS gone NEW TABLE AS came FOR EACH STATEMENT EXECUTE FUNCTION coverage_activities_updated();
CREATE TRIGGER coverage_activities_deleted AFTER DELETE ON interventions
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION coverage_activities_deleted();

-- Reports changed: each current report adds its reach to the periods of its month, at its
-- activity (if not removed), locked for share so a concurrent move of the activity waits.
CREATE FUNCTION coverage_reports_changed(gone intervention_reports[], came intervention_reports[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM interventions
    WHERE id IN (SELECT intervention_id FROM unnest(gone) UNION SELECT intervention_id FROM unnest(came))
    ORDER BY id FOR SHARE;
    PERFORM coverage_shift(
        (SELECT coalesce(jsonb_agg(x), '[]') FROM (
            SELECT p.period, p.period_start, a.region_code, a.type_code, 0 AS activities, 0 AS target, r.reached
            FROM unnest(gone) r JOIN interventions a ON a.id = r.intervention_id AND a.deleted_at IS NULL
            CROSS JOIN LATERAL calendar_periods(r.month) p WHERE r.superseded_at IS NULL) x),
        (SELECT coalesce(jsonb_agg(x), '[]') FROM (
            SELECT p.period, p.period_start, a.region_code, a.type_code, 0 AS activities, 0 AS target, r.reached
            FROM unnest(came) r JOIN interventions a ON a.id = r.intervention_id AND a.deleted_at IS NULL
            CROSS JOIN LATERAL calendar_periods(r.month) p WHERE r.superseded_at IS NULL) x));
END;
$$;
CREATE FUNCTION coverage_reports_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM coverage_reports_changed('{}'::intervention_reports[], (SELECT array_agg(n::intervention_reports) FROM came n));
    RETURN NULL;
END;
$$;
CREATE FUNCTION coverage_reports_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM coverage_reports_changed((SELECT array_agg(o::intervention_reports) FROM gone o),
                                     (SELECT array_agg(n::intervention_reports) FROM came n));
    RETURN NULL;
END;
$$;
CREATE FUNCTION coverage_reports_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM coverage_reports_changed((SELECT array_agg(o::intervention_reports) FROM gone o), '{}'::intervention_reports[]);
    RETURN NULL;
END;
$$;
CREATE TRIGGER coverage_reports_inserted AFTER INSERT ON intervention_reports
    REFERENCING NEW TABLE AS came FOR EACH STATEMENT EXECUTE FUNCTION coverage_reports_inserted();
CREATE TRIGGER coverage_reports_updated AFTER UPDATE ON intervention_reports
    REFERENCING OLD TABLE AS gone NEW TABLE AS came FOR EACH STATEMENT EXECUTE FUNCTION coverage_reports_updated();
CREATE TRIGGER coverage_reports_deleted AFTER DELETE ON intervention_reports
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION coverage_reports_deleted();

-- The counts from scratch (what the kept rows must equal), and the rebuild after a bulk load.
CREATE FUNCTION coverage_from_rows()
RETURNS TABLE (tier text, period text, period_start date, region_code text, type_code text,
               activities bigint, target bigint, reached bigint)
LANGUAGE sql STABLE AS $$
    WITH own AS (
        SELECT c.* FROM (SELECT array_agg(a) AS batch FROM interventions a) all_of, coverage_of(all_of.batch) c
    )
    SELECT 'own', o.* FROM own o
    UNION ALL
    SELECT 'upper', o.* FROM own o WHERE length(o.region_code) < 5
    UNION ALL
    SELECT 'district', period, period_start, left(region_code, 5), type_code,
           sum(activities)::bigint, sum(target)::bigint, sum(reached)::bigint
    FROM own WHERE length(region_code) >= 5 GROUP BY 2, 3, 4, 5
    UNION ALL
    SELECT 'province', period, period_start, left(region_code, 2), type_code,
           sum(activities)::bigint, sum(target)::bigint, sum(reached)::bigint
    FROM own GROUP BY 2, 3, 4, 5
$$;

CREATE FUNCTION coverage_rebuild() RETURNS void LANGUAGE sql AS $$
    TRUNCATE coverage_counts;
    INSERT INTO coverage_counts SELECT * FROM coverage_from_rows();
$$;

SELECT coverage_rebuild();
ANALYZE coverage_counts;
