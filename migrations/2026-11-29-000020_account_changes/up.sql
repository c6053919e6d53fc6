-- Every instance caches who may do what per account (auth::accounts); a change to an account's
-- role, scope or activity is announced at commit so each instance forgets its copy before the
-- account's next request, whichever path (API, CLI, plain SQL) made the change.
CREATE FUNCTION announce_account_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('account_changed', OLD.id::text);
    RETURN NULL;
END $$;

CREATE TRIGGER users_announce_change
    AFTER UPDATE OF role, scope, active ON users
    FOR EACH ROW
    WHEN (OLD.role IS DISTINCT FROM NEW.role OR OLD.scope IS DISTINCT FROM NEW.scope OR OLD.active IS DISTINCT FROM NEW.active)
    EXECUTE FUNCTION announce_account_change();

CREATE TRIGGER users_announce_removal
    AFTER DELETE ON users
    FOR EACH ROW
    EXECUTE FUNCTION announce_account_change();
