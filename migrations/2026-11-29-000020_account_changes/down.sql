DROP TRIGGER users_announce_removal ON users;
DROP TRIGGER users_announce_change ON users;
DROP FUNCTION announce_account_change();
