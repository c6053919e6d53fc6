-- Case follow-up kept per calendar period for every village, district and province, in the
-- writing transaction, so `stats/cases` reads a few kept rows for any tier and period.
--
-- Each case that is not void, of a child who is not removed, adds to the period of each of its
-- dates: opened on `opened_on`; resolved on `resolved_on` (status resolved) or closed for its
-- reason on `closed_on` (status closed); audited on `audited_on`. The open cases at a period's
-- end are a stock, not a flow: `net_open*` hold the opened minus the ended in the period, and
-- the reader adds them up from the first month. A case counts as severe and as assigned to a
-- TPK by its current severity and assignment.
CREATE TABLE case_counts (
    tier                     text NOT NULL CHECK (tier IN ('village', 'district', 'province')),
    period                   text NOT NULL CHECK (period IN ('month', 'quarter', 'semester', 'year')),
    period_start             date NOT NULL,
    region_code              text COLLATE "C" NOT NULL,
    opened                   bigint NOT NULL DEFAULT 0,
    resolved                 bigint NOT NULL DEFAULT 0,
    closed_moved_away        bigint NOT NULL DEFAULT 0,
    closed_died              bigint NOT NULL DEFAULT 0,
    closed_reached_60_months bigint NOT NULL DEFAULT 0,
    closed_other             bigint NOT NULL DEFAULT 0,
    audited                  bigint NOT NULL DEFAULT 0,
    net_open                 bigint NOT NULL DEFAULT 0,
    net_open_severe          bigint NOT NULL DEFAULT 0,
    net_open_assigned        bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tier, period, period_start, region_code)
);
-- The open cases at a period's end add up one region's rows over many periods.
CREATE INDEX case_counts_region_idx ON case_counts (tier, region_code, period, period_start);

-- The dated events of one case: opening, ending (resolution, or closure for its reason) and
-- audit, each with its change to the open cases. A void case has none.
CREATE FUNCTION case_events(c cases)
RETURNS TABLE (day date, opened integer, resolved integer, closed text, audited integer, net integer)
LANGUAGE sql IMMUTABLE AS $$
    SELECT * FROM (VALUES
        (c.opened_on, 1, 0, NULL::text, 0, 1),
        (CASE c.status WHEN 'resolved' THEN c.resolved_on WHEN 'closed' THEN c.closed_on END,
         0, CASE c.status WHEN 'resolved' THEN 1 ELSE 0 END,
         CASE c.status WHEN 'closed' THEN c.close_reason END, 0, -1),
        (c.audited_on, 0, 0, NULL, 1, 0)
    ) e (day, opened, resolved, closed, audited, net)
    WHERE e.day IS NOT NULL AND c.status <> 'void'
$$;

-- What a set of cases contributes, per village and period. `live` lists the children who are
-- not removed.
CREATE FUNCTION case_flows(batch cases[], live uuid[])
RETURNS TABLE (period text, period_start date, village_code text, opened bigint, resolved bigint,
               closed_moved_away bigint, closed_died bigint, closed_reached_60_months bigint,
               closed_other bigint, audited bigint, net_open bigint, net_open_severe bigint,
               net_open_assigned bigint)
LANGUAGE sql STABLE AS $$
    SELECT p.period, p.period_start, c.village_code::text,
           sum(e.opened)::bigint, sum(e.resolved)::bigint,
           count(*) FILTER (WHERE e.closed = 'moved_away'), count(*) FILTER (WHERE e.closed = 'died'),
           count(*) FILTER (WHERE e.closed = 'reached_60_months'), count(*) FILTER (WHERE e.closed = 'other'),
           sum(e.audited)::bigint, sum(e.net)::bigint,
           coalesce(sum(e.net) FILTER (WHERE c.severity = 'severely_stunted'), 0)::bigint,
           coalesce(sum(e.net) FILTER (WHERE c.assigned_team_id IS NOT NULL), 0)::bigint
    FROM unnest(batch) c
    CROSS JOIN LATERAL case_events(c) e
    CROSS JOIN LATERAL calendar_periods(e.day) p
    WHERE c.child_id = ANY (live)
    GROUP BY 1, 2, 3
$$;

-- Adds `after` and takes away `before` (each from case_flows) at the village, its district and
-- its province. Increments commute; rows are touched in key order so writers cannot deadlock.
CREATE FUNCTION case_shift(before jsonb, after jsonb) RETURNS void LANGUAGE sql AS $$
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

-- A statement changed cases: swap what the rows contributed as they were for what they
-- contribute as they are. Every writer of a case holds its child's row lock, so whether the
-- child is removed cannot change meanwhile.
CREATE FUNCTION case_counts_changed(gone cases[], came cases[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    live uuid[];
BEGIN
    SELECT coalesce(array_agg(ch.id), '{}') INTO live FROM children ch
    WHERE ch.deleted_at IS NULL
      AND ch.id IN (SELECT child_id FROM unnest(gone) UNION SELECT child_id FROM unnest(came));
    IF live = '{}' THEN
        RETURN;
    END IF;
    PERFORM case_shift(
        (SELECT coalesce(jsonb_agg(b), '[]') FROM case_flows(gone, live) b),
        (SELECT coalesce(jsonb_agg(a), '[]') FROM case_flows(came, live) a));
END;
$$;

CREATE FUNCTION case_counts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM case_counts_changed('{}'::cases[], (SELECT array_agg(n::cases) FROM came n));
    RETURN NULL;
END;
$$;
CREATE FUNCTION case_counts_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Most updates (a newer measurement's z-score, notes) move no count: skip them cheaply.
    PERFORM case_counts_changed(
        (SELECT array_agg(o::cases) FROM gone o JOIN came n ON n.id = o.id
         WHERE (o.status, o.severity, o.opened_on, o.resolved_on, o.closed_on, o.close_reason, o.audited_on,
                o.village_code, o.assigned_team_id IS NULL)
               IS DISTINCT FROM (n.status, n.severity, n.opened_on, n.resolved_on, n.closed_on, n.close_reason,
                n.audited_on, n.village_code, n.assigned_team_id IS NULL)),
        (SELECT array_agg(n::cases) FROM gone o JOIN came n ON n.id = o.id
         WHERE (o.status, o.severity, o.opened_on, o.resolved_on, o.closed_on, o.close_reason, o.audited_on,
                o.village_code, o.assigned_team_id IS NULL)
               IS DISTINCT FROM (n.status, n.severity, n.opened_on, n.resolved_on, n.closed_on, n.close_reason,
                n.audited_on, n.village_code, n.assigned_team_id IS NULL)));
    RETURN NULL;
END;
$$;
CREATE FUNCTION case_counts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM case_counts_changed((SELECT array_agg(o::cases) FROM gone o), '{}'::cases[]);
    RETURN NULL;
END;
$$;
CREATE TRIGGER case_counts_inserted AFTER INSERT ON cases
    REFERENCING NEW TABLE AS came FOR EACH STATEMENT EXECUTE FUNCTION case_counts_inserted();
CREATE TRIGGER case_counts_updated AFTER UPDATE ON cases
    REFERENCING OLD TABLE AS gone NEW TABLE AS came FOR EACH STATEMENT EXECUTE FUNCTION case_counts_updated();
CREATE TRIGGER case_counts_deleted AFTER DELETE ON cases
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION case_counts_deleted();

-- A child removed (or restored): their cases leave (or rejoin) the counts. A move needs
-- nothing here: the cases' own village is updated with the child's, and their trigger moves
-- the counts.
CREATE FUNCTION case_counts_children_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    flipped uuid[];
    batch cases[];
BEGIN
    SELECT array_agg(n.id) INTO flipped FROM came n JOIN gone o ON o.id = n.id
    WHERE (n.deleted_at IS NULL) <> (o.deleted_at IS NULL);
    IF flipped IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT coalesce(array_agg(c), '{}') INTO batch FROM cases c WHERE c.child_id = ANY (flipped);
    PERFORM case_shift(
        (SELECT coalesce(jsonb_agg(b), '[]') FROM case_flows(batch,
            (SELECT coalesce(array_agg(o.id), '{}') FROM gone o WHERE o.id = ANY (flipped) AND o.deleted_at IS NULL)) b),
        (SELECT coalesce(jsonb_agg(a), '[]') FROM case_flows(batch,
            (SELECT coalesce(array_agg(n.id), '{}') FROM came n WHERE n.id = ANY (flipped) AND n.deleted_at IS NULL)) a));
    RETURN NULL;
END;
$$;
CREATE TRIGGER case_counts_children_updated AFTER UPDATE ON children
    REFERENCING OLD TABLE AS gone NEW TABLE AS came FOR EACH STATEMENT EXECUTE FUNCTION case_counts_children_updated();

-- The counts from scratch: what the kept rows must always equal, and the rebuild after a bulk
-- load that bypassed the triggers.
CREATE FUNCTION case_counts_from_rows()
RETURNS TABLE (tier text, period text, period_start date, region_code text, opened bigint, resolved bigint,
               closed_moved_away bigint, closed_died bigint, closed_reached_60_months bigint,
               closed_other bigint, audited bigint, net_open bigint, net_open_severe bigint,
               net_open_assigned bigint)
LANGUAGE sql STABLE AS $$
    WITH per_village AS (
        SELECT p.period, p.period_start, c.village_code, sum(e.opened) AS opened, sum(e.resolved) AS resolved,
               count(*) FILTER (WHERE e.closed = 'moved_away') AS closed_moved_away,
               count(*) FILTER (WHERE e.closed = 'died') AS closed_died,
               count(*) FILTER (WHERE e.closed = 'reached_60_months') AS closed_reached_60_months,
               count(*) FILTER (WHERE e.closed = 'other') AS closed_other,
               sum(e.audited) AS audited, sum(e.net) AS net_open,
               coalesce(sum(e.net) FILTER (WHERE c.severity = 'severely_stunted'), 0) AS net_open_severe,
               coalesce(sum(e.net) FILTER (WHERE c.assigned_team_id IS NOT NULL), 0) AS net_open_assigned
        FROM cases c JOIN children ch ON ch.id = c.child_id AND ch.deleted_at IS NULL
             CROSS JOIN LATERAL case_events(c) e
             CROSS JOIN LATERAL calendar_periods(e.day) p
        GROUP BY 1, 2, 3
    )
    SELECT t.tier, period, period_start, left(village_code, t.length), sum(opened)::bigint, sum(resolved)::bigint,
           sum(closed_moved_away)::bigint, sum(closed_died)::bigint, sum(closed_reached_60_months)::bigint,
           sum(closed_other)::bigint, sum(audited)::bigint, sum(net_open)::bigint,
           sum(net_open_severe)::bigint, sum(net_open_assigned)::bigint
    FROM per_village CROSS JOIN (VALUES ('village', 13), ('district', 5), ('province', 2)) t (tier, length)
    GROUP BY 1, 2, 3, 4
$$;

CREATE FUNCTION case_counts_rebuild() RETURNS void LANGUAGE sql AS $$
    TRUNCATE case_counts;
    INSERT INTO case_counts SELECT * FROM case_counts_from_rows();
$$;

SELECT case_counts_rebuild();
ANALYZE case_counts;
