-- 0018: who may share a project's subjects and experiments into other projects: its owners
-- (the default), or its members too. Collaborators never: they only read.
ALTER TABLE arca_project ADD COLUMN share_policy text NOT NULL DEFAULT 'owners'
    CHECK (share_policy IN ('owners', 'members'));
