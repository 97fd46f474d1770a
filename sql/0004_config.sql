-- 0004: XNAT's configuration service: versioned text documents per tool and path, site-wide
-- (project NULL) or per project, each enabled or disabled. Anonymisation scripts live here
-- (tool "anon"), as in XNAT.
CREATE TABLE arca_config (
    id          bigserial PRIMARY KEY,
    tool        text NOT NULL CHECK (tool ~ '^[A-Za-z0-9_.-]{1,64}$'),
    path        text NOT NULL CHECK (path ~ '^[A-Za-z0-9_./-]{1,255}$'),
    project     text REFERENCES arca_project (id) ON DELETE CASCADE ON UPDATE CASCADE,
    version     integer NOT NULL,
    contents    text NOT NULL,
    status      text NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
    reason      text NOT NULL DEFAULT '',
    author      text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE NULLS NOT DISTINCT (tool, path, project, version)
);
