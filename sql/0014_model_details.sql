-- 0014: more of XNAT's model. Subjects: the demographic age and the investigator's name
-- (xnat:subjectData/investigator); experiments: the age at the session
-- (xnat:subjectAssessorData/age); scans: the common acquisition parameters and the free
-- name/value pairs of parameters/addParam; experiments' provenance, one row per process
-- step, in the order given.
ALTER TABLE arca_subject
    ADD COLUMN age integer CHECK (age BETWEEN 0 AND 200),
    ADD COLUMN investigator_firstname text NOT NULL DEFAULT '',
    ADD COLUMN investigator_lastname text NOT NULL DEFAULT '';

ALTER TABLE arca_experiment
    ADD COLUMN age double precision;

ALTER TABLE arca_scan
    ADD COLUMN param_tr double precision,
    ADD COLUMN param_te double precision,
    ADD COLUMN param_ti double precision,
    ADD COLUMN param_flip integer,
    ADD COLUMN param_orientation text NOT NULL DEFAULT '',
    ADD COLUMN param_voxel_x double precision,
    ADD COLUMN param_voxel_y double precision,
    ADD COLUMN param_voxel_z double precision,
    ADD COLUMN param_fov_x integer,
    ADD COLUMN param_fov_y integer,
    ADD COLUMN param_matrix_x integer,
    ADD COLUMN param_matrix_y integer,
    ADD COLUMN param_partitions integer,
    ADD COLUMN param_sequence text NOT NULL DEFAULT '',
    ADD COLUMN param_image_type text NOT NULL DEFAULT '',
    ADD COLUMN param_scan_sequence text NOT NULL DEFAULT '',
    ADD COLUMN param_seq_variant text NOT NULL DEFAULT '',
    ADD COLUMN param_scan_options text NOT NULL DEFAULT '',
    ADD COLUMN param_acq_type text NOT NULL DEFAULT '',
    ADD COLUMN add_params jsonb NOT NULL DEFAULT '{}';

CREATE TABLE arca_process_step (
    experiment_id text NOT NULL REFERENCES arca_experiment (id) ON DELETE CASCADE,
    ord         integer NOT NULL,
    program     text NOT NULL DEFAULT '',
    program_version text NOT NULL DEFAULT '',
    program_arguments text NOT NULL DEFAULT '',
    timestamp   text NOT NULL DEFAULT '',
    cvs         text NOT NULL DEFAULT '',
    "user"      text NOT NULL DEFAULT '',
    machine     text NOT NULL DEFAULT '',
    platform    text NOT NULL DEFAULT '',
    platform_version text NOT NULL DEFAULT '',
    compiler    text NOT NULL DEFAULT '',
    compiler_version text NOT NULL DEFAULT '',
    library     text NOT NULL DEFAULT '',
    library_version text NOT NULL DEFAULT '',
    PRIMARY KEY (experiment_id, ord)
);
