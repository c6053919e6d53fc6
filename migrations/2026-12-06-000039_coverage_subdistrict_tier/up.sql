-- Coverage by subdistrict read every village's own row and summed them at read time (21,552
-- rows for a district's 12-month series at 100,000 children: 35-50 ms of SQL). Two more kept
-- tiers, as 'district' and 'upper' serve a breakdown by district: 'subdistrict' rows count
-- every activity of the subdistrict or below it; 'upper_subdistrict' rows repeat the own rows
-- of provinces and districts (activities above subdistrict level). A breakdown by subdistrict
-- reads those two.
ALTER TABLE coverage_counts DROP CONSTRAINT coverage_counts_tier_check,
    ADD CONSTRAINT coverage_counts_tier_check
        CHECK (tier IN ('own', 'district', 'upper', 'province', 'subdistrict', 'upper_subdistrict'));

CREATE OR REPLACE FUNCTION coverage_shift(before jsonb, after jsonb) RETURNS void LANGUAGE sql AS $$
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
        SELECT 'upper_subdistrict', d.* FROM delta d WHERE length(region_code) < 8
        UNION ALL
        SELECT 'subdistrict', period, period_start, left(region_code, 8), type_code,
               sum(activities), sum(target), sum(reached)
        FROM delta WHERE length(region_code) >= 8 GROUP BY 2, 3, 4, 5
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

CREATE OR REPLACE FUNCTION coverage_from_rows()
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
    SELECT 'upper_subdistrict', o.* FROM own o WHERE length(o.region_code) < 8
    UNION ALL
    SELECT 'subdistrict', period, period_start, left(region_code, 8), type_code,
           sum(activities)::bigint, sum(target)::bigint, sum(reached)::bigint
    FROM own WHERE length(region_code) >= 8 GROUP BY 2, 3, 4, 5
    UNION ALL
    SELECT 'district', period, period_start, left(region_code, 5), type_code,
           sum(activities)::bigint, sum(target)::bigint, sum(reached)::bigint
    FROM own WHERE length(region_code) >= 5 GROUP BY 2, 3, 4, 5
    UNION ALL
    SELECT 'province', period, period_start, left(region_code, 2), type_code,
           sum(activities)::bigint, sum(target)::bigint, sum(reached)::bigint
    FROM own GROUP BY 2, 3, 4, 5
$$;

INSERT INTO coverage_counts
SELECT * FROM coverage_from_rows() WHERE tier IN ('subdistrict', 'upper_subdistrict');
ANALYZE coverage_counts;
