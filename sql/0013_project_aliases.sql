-- 0013: project aliases, and the last change of a subject.
--
-- XNAT lets a project be known by aliases as well as its ID; an alias names one project
-- and may be neither another alias nor any project's ID (checked on write, model_write.c).
CREATE TABLE arca_project_alias (
    alias       text PRIMARY KEY CHECK (alias ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$'),
    project     text NOT NULL REFERENCES arca_project (id) ON DELETE CASCADE,
    source      text NOT NULL DEFAULT ''
);
CREATE INDEX arca_project_alias_project ON arca_project_alias (project);

-- A subject's last change (its fields, custom variables, labels or shares): the `last_modified`
-- of listings.
ALTER TABLE arca_subject ADD COLUMN last_modified timestamptz NOT NULL DEFAULT now();
UPDATE arca_subject SET last_modified = insert_date;

CREATE FUNCTION arca_subject_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.last_modified := now();
    RETURN NEW;
END $$;
CREATE TRIGGER arca_subject_touch BEFORE UPDATE ON arca_subject
    FOR EACH ROW WHEN (OLD.last_modified IS NOT DISTINCT FROM NEW.last_modified)
    EXECUTE FUNCTION arca_subject_touch();

CREATE FUNCTION arca_subject_label_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE arca_subject SET last_modified = now() WHERE id = NEW.subject_id;
    RETURN NULL;
END $$;
CREATE TRIGGER arca_subject_label_touch AFTER INSERT OR UPDATE
    ON arca_subject_label FOR EACH ROW EXECUTE FUNCTION arca_subject_label_touch();
