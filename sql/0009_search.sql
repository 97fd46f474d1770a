-- 0009: search. Typed, indexed copies of custom variable values, the functions searches
-- compare them with, stored searches, and indexes for the fields people search by.

-- A value as a number, or NULL when it is none (never an error: values of projects that
-- do not type a variable may be anything). The length cap keeps the cast in range.
CREATE FUNCTION arca_num(v text) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN length(v) < 40
                 AND v ~ '^[[:space:]]*[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]{1,2})?[[:space:]]*$'
                THEN v::double precision END
$$;

-- A date value as its ISO text (which orders as the date does), or NULL.
CREATE FUNCTION arca_date_text(v text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN v ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN v END
$$;

CREATE FUNCTION arca_bool(v text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE lower(v) WHEN 'true' THEN true WHEN '1' THEN true
                         WHEN 'false' THEN false WHEN '0' THEN false END
$$;

-- Custom variable values of subjects, experiments and scans, one row per (object, name),
-- kept by triggers from the `fields` jsonb. `num` is the value as a number when it is one.
-- Searches find objects by variable through the (name, num) and (name, txt) indexes, which
-- carry the object's key so that a range is read from the index alone.
CREATE TABLE arca_subject_value (
    subject_id  text NOT NULL REFERENCES arca_subject (id) ON DELETE CASCADE,
    name        text NOT NULL,
    txt         text NOT NULL,
    num         double precision,
    PRIMARY KEY (subject_id, name)
);
CREATE INDEX arca_subject_value_num ON arca_subject_value (name, num) INCLUDE (subject_id)
    WHERE num IS NOT NULL;
CREATE INDEX arca_subject_value_txt ON arca_subject_value (name, txt) INCLUDE (subject_id);

CREATE TABLE arca_experiment_value (
    experiment_id text NOT NULL REFERENCES arca_experiment (id) ON DELETE CASCADE,
    name        text NOT NULL,
    txt         text NOT NULL,
    num         double precision,
    PRIMARY KEY (experiment_id, name)
);
CREATE INDEX arca_experiment_value_num ON arca_experiment_value (name, num) INCLUDE (experiment_id)
    WHERE num IS NOT NULL;
CREATE INDEX arca_experiment_value_txt ON arca_experiment_value (name, txt) INCLUDE (experiment_id);

CREATE TABLE arca_scan_value (
    scan_pk     bigint NOT NULL REFERENCES arca_scan (pk) ON DELETE CASCADE,
    name        text NOT NULL,
    txt         text NOT NULL,
    num         double precision,
    PRIMARY KEY (scan_pk, name)
);
CREATE INDEX arca_scan_value_num ON arca_scan_value (name, num) INCLUDE (scan_pk)
    WHERE num IS NOT NULL;
CREATE INDEX arca_scan_value_txt ON arca_scan_value (name, txt) INCLUDE (scan_pk);

-- Which names hold which values: without these the planner takes a common value of one
-- variable for a rare one and starts a search from the wrong end.
CREATE STATISTICS arca_subject_value_mcv (mcv) ON name, txt FROM arca_subject_value;
CREATE STATISTICS arca_experiment_value_mcv (mcv) ON name, txt FROM arca_experiment_value;
CREATE STATISTICS arca_scan_value_mcv (mcv) ON name, txt FROM arca_scan_value;

CREATE FUNCTION arca_subject_values() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM arca_subject_value WHERE subject_id = OLD.id;
    END IF;
    INSERT INTO arca_subject_value (subject_id, name, txt, num)
        SELECT NEW.id, f.key, f.value, arca_num(f.value)
        FROM jsonb_each_text(NEW.fields) f WHERE f.value IS NOT NULL;
    RETURN NULL;
END $$;

CREATE FUNCTION arca_experiment_values() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM arca_experiment_value WHERE experiment_id = OLD.id;
    END IF;
    INSERT INTO arca_experiment_value (experiment_id, name, txt, num)
        SELECT NEW.id, f.key, f.value, arca_num(f.value)
        FROM jsonb_each_text(NEW.fields) f WHERE f.value IS NOT NULL;
    RETURN NULL;
END $$;

CREATE FUNCTION arca_scan_values() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM arca_scan_value WHERE scan_pk = OLD.pk;
    END IF;
    INSERT INTO arca_scan_value (scan_pk, name, txt, num)
        SELECT NEW.pk, f.key, f.value, arca_num(f.value)
        FROM jsonb_each_text(NEW.fields) f WHERE f.value IS NOT NULL;
    RETURN NULL;
END $$;

-- Inserts without variables (most scans) cost nothing; updates only when fields change.
CREATE TRIGGER arca_subject_values_ins AFTER INSERT ON arca_subject FOR EACH ROW
    WHEN (NEW.fields <> '{}'::jsonb) EXECUTE FUNCTION arca_subject_values();
CREATE TRIGGER arca_subject_values_upd AFTER UPDATE OF fields ON arca_subject FOR EACH ROW
    WHEN (OLD.fields IS DISTINCT FROM NEW.fields) EXECUTE FUNCTION arca_subject_values();
CREATE TRIGGER arca_experiment_values_ins AFTER INSERT ON arca_experiment FOR EACH ROW
    WHEN (NEW.fields <> '{}'::jsonb) EXECUTE FUNCTION arca_experiment_values();
CREATE TRIGGER arca_experiment_values_upd AFTER UPDATE OF fields ON arca_experiment FOR EACH ROW
    WHEN (OLD.fields IS DISTINCT FROM NEW.fields) EXECUTE FUNCTION arca_experiment_values();
CREATE TRIGGER arca_scan_values_ins AFTER INSERT ON arca_scan FOR EACH ROW
    WHEN (NEW.fields <> '{}'::jsonb) EXECUTE FUNCTION arca_scan_values();
CREATE TRIGGER arca_scan_values_upd AFTER UPDATE OF fields ON arca_scan FOR EACH ROW
    WHEN (OLD.fields IS DISTINCT FROM NEW.fields) EXECUTE FUNCTION arca_scan_values();

-- what is there already
INSERT INTO arca_subject_value (subject_id, name, txt, num)
    SELECT o.id, f.key, f.value, arca_num(f.value)
    FROM arca_subject o, jsonb_each_text(o.fields) f WHERE f.value IS NOT NULL;
INSERT INTO arca_experiment_value (experiment_id, name, txt, num)
    SELECT o.id, f.key, f.value, arca_num(f.value)
    FROM arca_experiment o, jsonb_each_text(o.fields) f WHERE f.value IS NOT NULL;
INSERT INTO arca_scan_value (scan_pk, name, txt, num)
    SELECT o.pk, f.key, f.value, arca_num(f.value)
    FROM arca_scan o, jsonb_each_text(o.fields) f WHERE f.value IS NOT NULL;

-- Fields sessions and scans are searched by; trigram indexes serve LIKE on labels, with
-- the pattern's % anywhere and in any case.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX arca_subject_label_trgm ON arca_subject_label USING gin (label gin_trgm_ops);
CREATE INDEX arca_experiment_label_trgm ON arca_experiment_label USING gin (label gin_trgm_ops);
CREATE INDEX arca_experiment_date ON arca_experiment (date);
CREATE INDEX arca_experiment_scanner ON arca_experiment (scanner, date);

-- Stored searches (XNAT's xdat:stored_search), as their document. Seen by the owner, the
-- users listed, the readers of `project` when set, and by everyone when neither is set.
CREATE TABLE arca_saved_search (
    id          text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$'),
    owner_id    bigint NOT NULL REFERENCES arca_account (id) ON DELETE CASCADE,
    brief_description text NOT NULL DEFAULT '',
    description text NOT NULL DEFAULT '',
    root        text NOT NULL,
    project     text REFERENCES arca_project (id) ON DELETE CASCADE ON UPDATE CASCADE,
    users       text[] NOT NULL DEFAULT '{}',
    document    text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX arca_saved_search_owner ON arca_saved_search (owner_id);
