-- The weighed months' trigger as migration 000036 left it: every month of each child refreshed.
DO $$
BEGIN
    PERFORM trigger_function_with('weighing_months_changed', ARRAY(
        SELECT ARRAY[format('TG_TABLE_NAME = %L AND TG_OP = %L', tab, op), weighing_months_kids_sql(tab, op)]
        FROM (VALUES ('measurements', 'INSERT'), ('measurements', 'UPDATE'), ('measurements', 'DELETE'),
                     ('children', 'UPDATE'), ('children', 'DELETE')) t (tab, op)));
END;
$$;
DROP FUNCTION weighing_months_since_sql(text);
DROP FUNCTION weighing_months_refresh_from(uuid[], date);
