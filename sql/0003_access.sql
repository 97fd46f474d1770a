-- 0003: who may do what. Account policy (lock-out, password age, all-data access, where
-- the account logs in), project roles, alias tokens, server-side sessions, audit.

ALTER TABLE arca_account
    ADD COLUMN non_expiring        boolean NOT NULL DEFAULT false,
    ADD COLUMN data_access         text NOT NULL DEFAULT 'none'
                                   CHECK (data_access IN ('none', 'read', 'edit')),
    ADD COLUMN password_changed_at timestamptz,
    ADD COLUMN failed_logins       integer NOT NULL DEFAULT 0,
    ADD COLUMN locked_until        timestamptz,
    -- local: a password here; ldap, oidc: created by a login through httpd
    ADD COLUMN auth_source         text NOT NULL DEFAULT 'local'
                                   CHECK (auth_source IN ('local', 'ldap', 'oidc', 'external'));

-- Project groups as XNAT has them: Owners, Members, Collaborators.
CREATE TABLE arca_project_member (
    project     text NOT NULL REFERENCES arca_project (id) ON DELETE CASCADE ON UPDATE CASCADE,
    account_id  bigint NOT NULL REFERENCES arca_account (id) ON DELETE CASCADE,
    role        text NOT NULL CHECK (role IN ('owner', 'member', 'collaborator')),
    PRIMARY KEY (project, account_id)
);
CREATE INDEX arca_project_member_account ON arca_project_member (account_id);

-- Alias tokens: a random alias and a 256-bit secret, usable as Basic credentials; only a
-- SHA-256 of the secret is kept.
CREATE TABLE arca_token (
    alias       text PRIMARY KEY,
    secret_hash text NOT NULL,
    account_id  bigint NOT NULL REFERENCES arca_account (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    single_use  boolean NOT NULL DEFAULT false
);
CREATE INDEX arca_token_account ON arca_token (account_id);

-- Server-side sessions (JSESSIONID): shared by every httpd node over this database. Only a
-- SHA-256 of the session id is kept.
CREATE TABLE arca_session (
    id_hash     text PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES arca_account (id) ON DELETE CASCADE,
    csrf_token  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    last_seen   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX arca_session_account ON arca_session (account_id);

-- What happened, for admins: logins and failures, role and access changes, deletions.
CREATE TABLE arca_audit (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL DEFAULT '',   -- login, or '' for the system
    action      text NOT NULL,              -- login, login_failed, role_added, deleted ...
    object      text NOT NULL DEFAULT '',   -- a URI or login
    detail      text NOT NULL DEFAULT '',
    remote      text NOT NULL DEFAULT ''    -- client address
);
CREATE INDEX arca_audit_at ON arca_audit (at);
