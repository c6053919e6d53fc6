-- Approved budgets kept per fiscal year, region, funding source, agency and category, in the
-- writing transaction, so `stats/budgets` sums a few kept rows instead of every line of every
-- village's budget. Tiers as for coverage: 'own' rows hold the budgets of exactly that region,
-- 'district' rows every budget of the district or below it, 'upper' rows repeat the own rows of
-- provinces (budgets above district level), and 'province' rows every budget of the province.
CREATE TABLE budget_counts (
    tier            text NOT NULL CHECK (tier IN ('own', 'district', 'upper', 'province')),
    fiscal_year     integer NOT NULL,
    region_code     text COLLATE "C" NOT NULL,
    funding_source  text NOT NULL,
    agency_id       uuid,
    category        text,
    lines           bigint NOT NULL DEFAULT 0,
    -- numeric, as every budget sum: a national total cannot overflow.
    ceiling         numeric NOT NULL DEFAULT 0,
    realised        numeric NOT NULL DEFAULT 0,
    UNIQUE NULLS NOT DISTINCT (tier, fiscal_year, region_code, funding_source, agency_id, category)
);

-- What `lines` contribute under their budgets as in `documents`: only approved (or revised)
-- budgets that are not removed count.
CREATE FUNCTION budget_contribution(documents budgets[], lines budget_lines[])
RETURNS TABLE (fiscal_year integer, region_code text, funding_source text, agency_id uuid, category text,
               lines bigint, ceiling numeric, realised numeric)
LANGUAGE sql STABLE AS $$
    SELECT b.fiscal_year, b.region_code::text, b.funding_source, l.agency_id, t.category,
           count(*), sum(l.ceiling), sum(l.realised)
    FROM unnest(lines) l JOIN unnest(documents) b ON b.id = l.budget_id
    LEFT JOIN intervention_types t ON t.code = l.type_code
    WHERE b.deleted_at IS NULL AND b.status IN ('approved', 'revised')
    GROUP BY 1, 2, 3, 4, 5
$$;

-- Adds `after` and takes away `before` at every tier; rows are touched in key order.
CREATE FUNCTION budget_shift(before jsonb, after jsonb) RETURNS void LANGUAGE sql AS $$
    WITH delta AS (
        SELECT fiscal_year, region_code, funding_source, agency_id, category,
               sum(sign * lines) AS lines, sum(sign * ceiling) AS ceiling, sum(sign * realised) AS realised
        FROM (SELECT -1 AS sign, b.* FROM jsonb_to_recordset(before) AS b (fiscal_year integer, region_code text,
                  funding_source text, agency_id uuid, category text, lines bigint, ceiling numeric, realised numeric)
              UNION ALL
              SELECT 1, a.* FROM jsonb_to_recordset(after) AS a (fiscal_year integer, region_code text,
                  funding_source text, agency_id uuid, category text, lines bigint, ceiling numeric, realised numeric)) s
        GROUP BY 1, 2, 3, 4, 5
    ), tiers AS (
        SELECT 'own' AS tier, d.* FROM delta d
        UNION ALL
        SELECT 'upper', d.* FROM delta d WHERE length(region_code) < 5
        UNION ALL
        SELECT 'district', fiscal_year, left(region_code, 5), funding_source, agency_id, category,
               sum(lines), sum(ceiling), sum(realised)
        FROM delta WHERE length(region_code) >= 5 GROUP BY 2, 3, 4, 5, 6
        UNION ALL
        SELECT 'province', fiscal_year, left(region_code, 2), funding_source, agency_id, category,
               sum(lines), sum(ceiling), sum(realised)
        FROM delta GROUP BY 2, 3, 4, 5, 6
    )
    INSERT INTO budget_counts AS c
    SELECT * FROM tiers WHERE lines <> 0 OR ceiling <> 0 OR realised <> 0
    ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (tier, fiscal_year, region_code, funding_source, agency_id, category) DO UPDATE SET
        lines = c.lines + EXCLUDED.lines, ceiling = c.ceiling + EXCLUDED.ceiling,
        realised = c.realised + EXCLUDED.realised
$$;

-- Documents changed: their lines' contribution under the documents as they were is swapped for
-- as they are. Most document updates (the kept totals after a line write) change nothing here
-- and are skipped. Line writers take a share lock on the document first, so no line of a
-- document changes while the document does.
CREATE FUNCTION budget_counts_documents_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed uuid[];
BEGIN
    SELECT array_agg(n.id ORDER BY n.id) INTO changed FROM came n JOIN gone o ON o.id = n.id
    WHERE (o.status, o.deleted_at IS NULL, o.region_code, o.fiscal_year, o.funding_source)
          IS DISTINCT FROM (n.status, n.deleted_at IS NULL, n.region_code, n.fiscal_year, n.funding_source);
    IF changed IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM budget_shift(
        (SELECT coalesce(jsonb_agg(b), '[]') FROM budget_contribution(
            (SELECT array_agg(o::budgets) FROM gone o WHERE o.id = ANY (changed)),
            (SELECT array_agg(l) FROM budget_lines l WHERE l.budget_id = ANY (changed))) b),
        (SELECT coalesce(jsonb_agg(a), '[]') FROM budget_contribution(
            (SELECT array_agg(n::budgets) FROM came n WHERE n.id = ANY (changed)),
            (SELECT array_agg(l) FROM budget_lines l WHERE l.budget_id = ANY (changed))) a));
    RETURN NULL;
END;
$$;
CREATE TRIGGER budget_counts_documents_updated AFTER UPDATE ON budgets
    REFERENCING OLD TABLE AS gone NEW TABLE AS came FOR EACH STATEMENT EXECUTE FUNCTION budget_counts_documents_updated();

-- Lines changed: under their documents as they are now (share-locked in id order).
CREATE FUNCTION budget_counts_lines_changed(gone budget_lines[], came budget_lines[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    documents budgets[];
BEGIN
    PERFORM 1 FROM budgets
    WHERE id IN (SELECT budget_id FROM unnest(gone) UNION SELECT budget_id FROM unnest(came))
    ORDER BY id FOR SHARE;
    SELECT array_agg(b) INTO documents FROM budgets b
    WHERE b.id IN (SELECT budget_id FROM unnest(gone) UNION SELECT budget_id FROM unnest(came));
    PERFORM budget_shift(
        (SELECT coalesce(jsonb_agg(b), '[]') FROM budget_contribution(documents, gone) b),
        (SELECT coalesce(jsonb_agg(a), '[]') FROM budget_contribution(documents, came) a));
END;
$$;
CREATE FUNCTION budget_counts_lines_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM budget_counts_lines_changed('{}'::budget_lines[], (SELECT array_agg(n::budget_lines) FROM came n));
    RETURN NULL;
END;
$$;
CREATE FUNCTION budget_counts_lines_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM budget_counts_lines_changed((SELECT array_agg(o::budget_lines) FROM gone o),
                                        (SELECT array_agg(n::budget_lines) FROM came n));
    RETURN NULL;
END;
$$;
CREATE FUNCTION budget_counts_lines_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM budget_counts_lines_changed((SELECT array_agg(o::budget_lines) FROM gone o), '{}'::budget_lines[]);
    RETURN NULL;
END;
$$;
CREATE TRIGGER budget_counts_lines_inserted AFTER INSERT ON budget_lines
    REFERENCING NEW TABLE AS came FOR EACH STATEMENT EXECUTE FUNCTION budget_counts_lines_inserted();
CREATE TRIGGER budget_counts_lines_updated AFTER UPDATE ON budget_lines
    REFERENCING OLD TABLE AS gone NEW TABLE AS came FOR EACH STATEMENT EXECUTE FUNCTION budget_counts_lines_updated();
CREATE TRIGGER budget_counts_lines_deleted AFTER DELETE ON budget_lines
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION budget_counts_lines_deleted();

-- The counts from scratch: what the kept rows must equal, and the rebuild after a bulk load.
CREATE FUNCTION budget_counts_from_rows()
RETURNS TABLE (tier text, fiscal_year integer, region_code text, funding_source text, agency_id uuid,
               category text, lines bigint, ceiling numeric, realised numeric)
LANGUAGE sql STABLE AS $$
    WITH own AS (
        SELECT b.fiscal_year, b.region_code::text AS region_code, b.funding_source, l.agency_id, t.category,
               count(*) AS lines, sum(l.ceiling) AS ceiling, sum(l.realised) AS realised
        FROM budget_lines l JOIN budgets b ON b.id = l.budget_id
        LEFT JOIN intervention_types t ON t.code = l.type_code
        WHERE b.deleted_at IS NULL AND b.status IN ('approved', 'revised')
        GROUP BY 1, 2, 3, 4, 5
    )
    SELECT 'own', fiscal_year, region_code, funding_source, agency_id, category,
           lines, ceiling, realised FROM own
    UNION ALL
    SELECT 'upper', fiscal_year, region_code, funding_source, agency_id, category,
           lines, ceiling, realised FROM own WHERE length(region_code) < 5
    UNION ALL
    SELECT 'district', fiscal_year, left(region_code, 5), funding_source, agency_id, category,
           sum(lines)::bigint, sum(ceiling), sum(realised)
    FROM own WHERE length(region_code) >= 5 GROUP BY 2, 3, 4, 5, 6
    UNION ALL
    SELECT 'province', fiscal_year, left(region_code, 2), funding_source, agency_id, category,
           sum(lines)::bigint, sum(ceiling), sum(realised)
    FROM own GROUP BY 2, 3, 4, 5, 6
$$;

CREATE FUNCTION budget_counts_rebuild() RETURNS void LANGUAGE sql AS $$
    TRUNCATE budget_counts;
    INSERT INTO budget_counts SELECT * FROM budget_counts_from_rows();
$$;

SELECT budget_counts_rebuild();
ANALYZE budget_counts;
