-- 0011: searches that show what they found without visiting rows, and a bound on custom
-- variable values.
--
-- A search of sessions by their subject's variables shows, per result row, the session's
-- and subject's labels and the subject's variables. Each used to cost an index probe and a
-- heap visit (two random pages, at a million subjects rarely cached); with the label and
-- the values in the index that finds them, it is one.

-- The primary label of a subject or session, from the index alone.
CREATE INDEX arca_subject_label_shown ON arca_subject_label (subject_id) INCLUDE (label)
    WHERE is_primary;
CREATE INDEX arca_experiment_label_shown ON arca_experiment_label (experiment_id)
    INCLUDE (label) WHERE is_primary;

-- The value tables' keys carry the values.
CREATE UNIQUE INDEX arca_subject_value_key ON arca_subject_value (subject_id, name)
    INCLUDE (txt, num);
ALTER TABLE arca_subject_value DROP CONSTRAINT arca_subject_value_pkey,
    ADD CONSTRAINT arca_subject_value_pkey PRIMARY KEY USING INDEX arca_subject_value_key;
CREATE UNIQUE INDEX arca_experiment_value_key ON arca_experiment_value (experiment_id, name)
    INCLUDE (txt, num);
ALTER TABLE arca_experiment_value DROP CONSTRAINT arca_experiment_value_pkey,
    ADD CONSTRAINT arca_experiment_value_pkey PRIMARY KEY USING INDEX arca_experiment_value_key;
CREATE UNIQUE INDEX arca_scan_value_key ON arca_scan_value (scan_pk, name) INCLUDE (txt, num);
ALTER TABLE arca_scan_value DROP CONSTRAINT arca_scan_value_pkey,
    ADD CONSTRAINT arca_scan_value_pkey PRIMARY KEY USING INDEX arca_scan_value_key;

-- Values are indexed, and an index entry holds at most about 2,700 bytes: a longer value
-- failed deep in PostgreSQL. It is now refused with a message naming the variable
-- (SQLSTATE 22001: the REST layer answers 400).
CREATE FUNCTION arca_value_fits(name text, value text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    IF octet_length(value) > 2000 OR octet_length(name) > 255 THEN
        RAISE EXCEPTION 'custom variable "%": values are limited to 2000 bytes and names '
                        'to 255', left(name, 64) USING ERRCODE = '22001';
    END IF;
    RETURN value;
END $$;

CREATE OR REPLACE FUNCTION arca_subject_values() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM arca_subject_value WHERE subject_id = OLD.id;
    END IF;
    INSERT INTO arca_subject_value (subject_id, name, txt, num)
        SELECT NEW.id, f.key, arca_value_fits(f.key, f.value), arca_num(f.value)
        FROM jsonb_each_text(NEW.fields) f WHERE f.value IS NOT NULL;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION arca_experiment_values() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM arca_experiment_value WHERE experiment_id = OLD.id;
    END IF;
    INSERT INTO arca_experiment_value (experiment_id, name, txt, num)
        SELECT NEW.id, f.key, arca_value_fits(f.key, f.value), arca_num(f.value)
        FROM jsonb_each_text(NEW.fields) f WHERE f.value IS NOT NULL;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION arca_scan_values() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM arca_scan_value WHERE scan_pk = OLD.pk;
    END IF;
    INSERT INTO arca_scan_value (scan_pk, name, txt, num)
        SELECT NEW.pk, f.key, arca_value_fits(f.key, f.value), arca_num(f.value)
        FROM jsonb_each_text(NEW.fields) f WHERE f.value IS NOT NULL;
    RETURN NULL;
END $$;
