DO $$
DECLARE t record;
BEGIN
    FOR t IN SELECT tgname, tgrelid::regclass AS tab FROM pg_trigger WHERE tgname LIKE 'changes\_%' LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', t.tgname, t.tab);
    END LOOP;
END;
$$;
DROP FUNCTION changes_logged();
DROP TABLE changes;
