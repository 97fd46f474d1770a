-- 0001: the ground every later migration stands on.
-- Accounts are what an authenticated REMOTE_USER (from any httpd authn module) maps to;
-- projects are the top of XNAT's hierarchy. Later migrations extend both.

CREATE TABLE arca_account (
    id            bigserial PRIMARY KEY,
    login         text NOT NULL UNIQUE
                  CHECK (login <> '' AND length(login) <= 255 AND login !~ '[[:cntrl:]:/]'),
    firstname     text NOT NULL DEFAULT '',
    lastname      text NOT NULL DEFAULT '',
    email         text NOT NULL DEFAULT '',
    -- bcrypt hash; NULL for accounts that log in elsewhere (LDAP, OpenID Connect)
    password_hash text,
    enabled       boolean NOT NULL DEFAULT true,
    verified      boolean NOT NULL DEFAULT true,
    site_admin    boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz
);

CREATE TABLE arca_project (
    id            text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$'),
    secondary_id  text NOT NULL DEFAULT '',
    name          text NOT NULL DEFAULT '',
    description   text NOT NULL DEFAULT '',
    pi_firstname  text NOT NULL DEFAULT '',
    pi_lastname   text NOT NULL DEFAULT '',
    accessibility text NOT NULL DEFAULT 'private'
                  CHECK (accessibility IN ('private', 'protected', 'public')),
    created_at    timestamptz NOT NULL DEFAULT now()
);
