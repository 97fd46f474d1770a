-- 0006: a secret per project for remapping DICOM UIDs in de-identification: the same UID
-- maps to the same new UID within a project (references stay intact across uploads) and
-- to different ones in different projects (exports cannot be linked), with no table of
-- original UIDs kept anywhere.
ALTER TABLE arca_project ADD COLUMN uid_salt text NOT NULL DEFAULT gen_random_uuid()::text;
