-- The trigger functions as migrations 000010, 000012, 000033 and 000035 left them.
ALTER FUNCTION prevalence_measurements_changed(measurements[], measurements[]) RESET plan_cache_mode;
ALTER FUNCTION case_counts_changed(cases[], cases[]) RESET plan_cache_mode;
DROP FUNCTION weighing_months_kids_sql(text, text);
DROP FUNCTION skdn_apply_sql(text, text);
DROP FUNCTION trigger_sides(text);
DROP FUNCTION trigger_function_with(text, text[]);

CREATE OR REPLACE VIEW weighing_months_from_rows AS
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

CREATE OR REPLACE FUNCTION weighing_months_refresh(kids uuid[]) RETURNS void LANGUAGE sql AS $$
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

CREATE OR REPLACE FUNCTION weighing_months_changed() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE OR REPLACE FUNCTION skdn_changed() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE OR REPLACE FUNCTION quality_measurements_changed() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE OR REPLACE FUNCTION quality_children_changed() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE OR REPLACE FUNCTION prevalence_shift(before jsonb, after jsonb) RETURNS void LANGUAGE sql AS $$
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

CREATE OR REPLACE FUNCTION case_shift(before jsonb, after jsonb) RETURNS void LANGUAGE sql AS $$
    WITH delta AS (
        SELECT period, period_start, village_code,
               sum(sign * opened) AS opened, sum(sign * resolved) AS resolved,
               sum(sign * closed_moved_away) AS closed_moved_away, sum(sign * closed_died) AS closed_died,
               sum(sign * closed_reached_60_months) AS closed_reached_60_months,
               sum(sign * closed_other) AS closed_other, sum(sign * audited) AS audited,
               sum(sign * net_open) AS net_open, sum(sign * net_open_severe) AS net_open_severe,
               sum(sign * net_open_assigned) AS net_open_assigned
        FROM (SELECT -1 AS sign, b.* FROM jsonb_to_recordset(before) AS b (period text, period_start date,
                  village_code text, opened bigint, resolved bigint, closed_moved_away bigint, closed_died bigint,
                  closed_reached_60_months bigint, closed_other bigint, audited bigint, net_open bigint,
                  net_open_severe bigint, net_open_assigned bigint)
              UNION ALL
              SELECT 1, a.* FROM jsonb_to_recordset(after) AS a (period text, period_start date,
                  village_code text, opened bigint, resolved bigint, closed_moved_away bigint, closed_died bigint,
                  closed_reached_60_months bigint, closed_other bigint, audited bigint, net_open bigint,
                  net_open_severe bigint, net_open_assigned bigint)) s
        GROUP BY 1, 2, 3
    ), tiers AS (
        SELECT 'village' AS tier, period, period_start, village_code AS region_code, opened, resolved,
               closed_moved_away, closed_died, closed_reached_60_months, closed_other, audited,
               net_open, net_open_severe, net_open_assigned
        FROM delta
        UNION ALL
        SELECT t.tier, period, period_start, left(village_code, t.length), sum(opened), sum(resolved),
               sum(closed_moved_away), sum(closed_died), sum(closed_reached_60_months), sum(closed_other),
               sum(audited), sum(net_open), sum(net_open_severe), sum(net_open_assigned)
        FROM delta CROSS JOIN (VALUES ('district', 5), ('province', 2)) t (tier, length)
        GROUP BY t.tier, 2, 3, 4
    )
    INSERT INTO case_counts AS c
    SELECT * FROM tiers
    WHERE opened <> 0 OR resolved <> 0 OR closed_moved_away <> 0 OR closed_died <> 0
       OR closed_reached_60_months <> 0 OR closed_other <> 0 OR audited <> 0 OR net_open <> 0
       OR net_open_severe <> 0 OR net_open_assigned <> 0
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (tier, period, period_start, region_code) DO UPDATE SET
        opened = c.opened + EXCLUDED.opened, resolved = c.resolved + EXCLUDED.resolved,
        closed_moved_away = c.closed_moved_away + EXCLUDED.closed_moved_away,
        closed_died = c.closed_died + EXCLUDED.closed_died,
        closed_reached_60_months = c.closed_reached_60_months + EXCLUDED.closed_reached_60_months,
        closed_other = c.closed_other + EXCLUDED.closed_other, audited = c.audited + EXCLUDED.audited,
        net_open = c.net_open + EXCLUDED.net_open, net_open_severe = c.net_open_severe + EXCLUDED.net_open_severe,
        net_open_assigned = c.net_open_assigned + EXCLUDED.net_open_assigned
$$;
