-- 0015: reconstructions (xnat:reconstructedImageData), images derived from a session's
-- scans: .../experiments/{E}/reconstructions/{R}, each with its own output resources. A
-- resource may now hang on a reconstruction, the fifth kind of owner.
CREATE TABLE arca_reconstruction (
    pk          bigserial PRIMARY KEY,      -- XNAT's xnat_reconstructedimagedata_id
    experiment_id text NOT NULL REFERENCES arca_experiment (id) ON DELETE CASCADE,
    id          text NOT NULL,              -- unique in its session
    type        text NOT NULL DEFAULT '',
    base_scan_type text NOT NULL DEFAULT '',
    fields      jsonb NOT NULL DEFAULT '{}',
    insert_date timestamptz NOT NULL DEFAULT now(),
    UNIQUE (experiment_id, id)
);

ALTER TABLE arca_resource
    ADD COLUMN recon_pk bigint REFERENCES arca_reconstruction (pk) ON DELETE CASCADE;

-- one owner among five; labels unique per owner
DO $$
DECLARE c record;
BEGIN
    FOR c IN SELECT conname FROM pg_constraint
             WHERE conrelid = 'arca_resource'::regclass AND contype IN ('c', 'u')
               AND (pg_get_constraintdef(oid) LIKE '%num_nonnulls%'
                    OR pg_get_constraintdef(oid) LIKE '%NULLS NOT DISTINCT%')
    LOOP
        EXECUTE format('ALTER TABLE arca_resource DROP CONSTRAINT %I', c.conname);
    END LOOP;
END $$;

ALTER TABLE arca_resource
    ADD CONSTRAINT arca_resource_one_owner
        CHECK (num_nonnulls(project, subject_id, experiment_id, scan_pk, recon_pk) = 1),
    ADD CONSTRAINT arca_resource_owner_label
        UNIQUE NULLS NOT DISTINCT (project, subject_id, experiment_id, scan_pk, recon_pk,
                                   label);
CREATE INDEX arca_resource_recon ON arca_resource (recon_pk) WHERE recon_pk IS NOT NULL;
