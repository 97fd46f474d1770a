-- 0020: the DICOMweb index. One row per DICOM instance in the archive (a file of a scan's
-- DICOM resource), written by the import beside the file's row: what QIDO-RS matches and
-- answers, and WADO-RS serves metadata and frames from, without reading files per request.
-- `header` is the instance's DICOM JSON (PS3.18 F.2) without pixel data, as stored (after
-- de-identification); binary values over 1 KiB are {"vr":..,"BulkDataURI":"GGGGEEEE"}.
-- Instances stored before this migration get their row on first use (dicom/instance_index.h).
CREATE TABLE arca_instance (
    resource_pk     bigint NOT NULL,
    path            text NOT NULL,
    scan_pk         bigint NOT NULL REFERENCES arca_scan (pk) ON DELETE CASCADE,
    sop_uid         text NOT NULL,
    sop_class_uid   text NOT NULL DEFAULT '',
    instance_number integer,
    transfer_syntax text NOT NULL DEFAULT '',
    frames          integer NOT NULL DEFAULT 1,
    -- where the pixel data's value lies in the file, when known (not deflated)
    pixel_offset    bigint,
    pixel_length    bigint,
    encapsulated    boolean NOT NULL DEFAULT false,
    header          jsonb NOT NULL,
    PRIMARY KEY (resource_pk, path),
    FOREIGN KEY (resource_pk, path) REFERENCES arca_file (resource_pk, path) ON DELETE CASCADE
);
CREATE INDEX arca_instance_sop ON arca_instance (sop_uid);
CREATE INDEX arca_instance_scan ON arca_instance (scan_pk, instance_number);

-- WADO-RS and QIDO-RS look studies and series up by UID
CREATE INDEX arca_experiment_uid ON arca_experiment (uid) WHERE uid <> '';
CREATE INDEX arca_scan_uid ON arca_scan (uid) WHERE uid <> '';

-- The value of a DICOM JSON attribute as DICOM writes it: values joined by '\', a person
-- name by its alphabetic form; NULL when absent or empty.
CREATE FUNCTION arca_dicom_text(h jsonb, tag text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT string_agg(CASE WHEN jsonb_typeof(v) = 'object' THEN coalesce(v->>'Alphabetic', '')
                           ELSE v #>> '{}' END, '\' ORDER BY n)
      FROM jsonb_array_elements(CASE WHEN jsonb_typeof(h->tag->'Value') = 'array'
                                     THEN h->tag->'Value' ELSE '[]' END)
           WITH ORDINALITY AS t(v, n)
$$;

-- A file replaced by anything but the import (a resource upload over it) loses its row,
-- which the next WADO-RS request that names it builds again from the new file. (The
-- digest filled in after a C-STORE changes no insert_date: it keeps the row.)
CREATE FUNCTION arca_instance_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM arca_instance WHERE resource_pk = OLD.resource_pk AND path = OLD.path;
    RETURN NULL;
END
$$;
CREATE TRIGGER arca_file_instance_stale AFTER UPDATE OF insert_date ON arca_file
    FOR EACH ROW WHEN (OLD.insert_date IS DISTINCT FROM NEW.insert_date)
    EXECUTE FUNCTION arca_instance_stale();
