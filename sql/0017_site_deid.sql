-- 0017: the site's de-identification. A fresh install runs the PS3.15 Basic Profile on
-- every object it receives (anon/basicProfile, on while no document is stored); its UIDs
-- are replaced with a site-wide secret, as 0006's per-project one. An install already in
-- use keeps what it did: the setting is recorded off, and an admin turns it on knowingly.
CREATE TABLE arca_site_secret (
    name   text PRIMARY KEY,
    value  text NOT NULL
);
INSERT INTO arca_site_secret (name, value) VALUES ('uid_salt', gen_random_uuid()::text);

INSERT INTO arca_config (tool, path, project, version, contents, status, reason, author)
SELECT 'anon', 'basicProfile', NULL, 1, 'none', 'disabled',
       'kept off on an install in use before the Basic Profile became the default', ''
WHERE EXISTS (SELECT 1 FROM arca_project)
  AND NOT EXISTS (SELECT 1 FROM arca_config
                  WHERE tool = 'anon' AND path = 'basicProfile' AND project IS NULL);
