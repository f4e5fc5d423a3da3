DROP TABLE IF EXISTS display_sessions;
DROP TABLE IF EXISTS revoked_access_tokens;
DROP TABLE IF EXISTS refresh_tokens;
DROP TABLE IF EXISTS logins;
DROP TABLE IF EXISTS users;
