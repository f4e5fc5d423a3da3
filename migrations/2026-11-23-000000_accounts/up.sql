-- Accounts, logins and display-name sessions (contract §1 and §8).
--
-- Secrets are never stored: refresh tokens and session ids are kept as SHA-256 digests, passwords
-- as argon2id PHC strings. Timestamps are UTC text as in the initial schema.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    -- Lower case, 3-50 characters of letters, digits, '_' and '-'.
    username      TEXT    NOT NULL UNIQUE,
    -- Lower case.
    email         TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'pm', 'agent', 'viewer')),
    is_active     BOOLEAN NOT NULL DEFAULT 1,
    is_superuser  BOOLEAN NOT NULL DEFAULT 0,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    last_login    TEXT
);

-- One row per successful login: the family of refresh tokens that descend from it. Access tokens
-- carry the login's id, so revoking the login (logout, reuse of a refresh token, a new password,
-- deactivation) also rejects its access tokens.
CREATE TABLE logins (
    id         TEXT    PRIMARY KEY NOT NULL,
    user_id    BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT    NOT NULL,
    revoked_at TEXT
);

CREATE INDEX idx_logins_user ON logins (user_id);

-- Refresh tokens by digest. A used token stays (with used_at) until it expires, so presenting it
-- again is recognised as reuse.
CREATE TABLE refresh_tokens (
    digest     TEXT PRIMARY KEY NOT NULL,
    login_id   TEXT NOT NULL REFERENCES logins (id) ON DELETE CASCADE,
    issued_at  TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
);

CREATE INDEX idx_refresh_tokens_login ON refresh_tokens (login_id);
CREATE INDEX idx_refresh_tokens_expires_at ON refresh_tokens (expires_at);

-- Access tokens revoked one by one (logout), kept until they would have expired anyway.
CREATE TABLE revoked_access_tokens (
    jti        TEXT PRIMARY KEY NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE INDEX idx_revoked_access_tokens_expires_at ON revoked_access_tokens (expires_at);

-- Display-name sessions of anonymous viewers, by the digest of their id.
CREATE TABLE display_sessions (
    digest     TEXT PRIMARY KEY NOT NULL,
    username   TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE INDEX idx_display_sessions_expires_at ON display_sessions (expires_at);
