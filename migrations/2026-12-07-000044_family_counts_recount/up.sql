-- The families' kept counts recounted from the rows, for `stunting-api counts verify` and
-- `counts rebuild` (records::kept_counts): the same query that filled family_counts when its
-- migration ran, in the table's column order.
CREATE FUNCTION family_counts_from_rows() RETURNS SETOF family_counts LANGUAGE sql STABLE AS $$
    SELECT year, village_code, count(*),
           count(*) FILTER (WHERE verification = 'pending'), count(*) FILTER (WHERE verification = 'verified'),
           count(*) FILTER (WHERE verification = 'not_found'), count(*) FILTER (WHERE verification = 'not_at_risk'),
           count(*) FILTER (WHERE has_pregnant_woman), count(*) FILTER (WHERE has_under_two),
           count(*) FILTER (WHERE has_under_five),
           count(*) FILTER (WHERE 'no_safe_water' = ANY (risk_factors)),
           count(*) FILTER (WHERE 'no_proper_latrine' = ANY (risk_factors)),
           count(*) FILTER (WHERE 'mother_under_20' = ANY (risk_factors)),
           count(*) FILTER (WHERE 'mother_over_35' = ANY (risk_factors)),
           count(*) FILTER (WHERE 'births_under_2_years_apart' = ANY (risk_factors)),
           count(*) FILTER (WHERE 'more_than_3_children' = ANY (risk_factors))
    FROM families_at_risk GROUP BY year, village_code;
$$;
