DROP INDEX refresh_tokens_ended_idx;
DROP TRIGGER refresh_tokens_announce_end ON refresh_tokens;
DROP FUNCTION announce_session_end();
