-- An access token names its login (the refresh token family). When a login ends (logout, a
-- reused refresh token, a new password, a deactivation) its refresh tokens are revoked; every
-- instance's copy of the account (auth::accounts) keeps the logins ended recently, so the
-- revocation is announced like any change to the account, whichever path made it.
CREATE FUNCTION announce_session_end() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('account_changed', NEW.user_id::text);
    RETURN NULL;
END $$;

CREATE TRIGGER refresh_tokens_announce_end
    AFTER UPDATE OF revoked_at ON refresh_tokens
    FOR EACH ROW
    WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
    EXECUTE FUNCTION announce_session_end();

-- The logins of one account ended lately, read when an instance (re)reads the account.
CREATE INDEX refresh_tokens_ended_idx ON refresh_tokens (user_id, revoked_at) WHERE revoked_at IS NOT NULL;
