-- 0002: XNAT's data model. project > subject > experiment (imaging session or assessor)
-- > scan > resource > file, with subjects and experiments shareable into other projects
-- under other labels, and custom variables on projects, subjects, experiments and scans.
--
-- Labels live in *_label tables, one row per (object, project), the primary one included,
-- so "which subject is label L in project P" is one unique index whether L is the primary
-- label or a shared one, and a label can never clash between the two.

ALTER TABLE arca_project
    ADD COLUMN keywords    text NOT NULL DEFAULT '',
    ADD COLUMN fields      jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN insert_user text NOT NULL DEFAULT '';

-- Site-unique accession numbers: {SITE}_S00001, {SITE}_E00001.
CREATE SEQUENCE arca_subject_seq;
CREATE SEQUENCE arca_experiment_seq;

CREATE TABLE arca_subject (
    id          text PRIMARY KEY,
    project     text NOT NULL REFERENCES arca_project (id) ON DELETE CASCADE, -- primary
    gender      text NOT NULL DEFAULT '',
    handedness  text NOT NULL DEFAULT '',
    yob         integer CHECK (yob BETWEEN 1800 AND 2200),
    dob         date,
    education   text NOT NULL DEFAULT '',
    race        text NOT NULL DEFAULT '',
    ethnicity   text NOT NULL DEFAULT '',
    height      text NOT NULL DEFAULT '',
    weight      text NOT NULL DEFAULT '',
    src         text NOT NULL DEFAULT '',
    grp         text NOT NULL DEFAULT '',   -- XNAT's "group"
    note        text NOT NULL DEFAULT '',
    fields      jsonb NOT NULL DEFAULT '{}',
    insert_date timestamptz NOT NULL DEFAULT now(),
    insert_user text NOT NULL DEFAULT ''
);
CREATE INDEX arca_subject_project ON arca_subject (project);

CREATE TABLE arca_subject_label (
    subject_id  text NOT NULL REFERENCES arca_subject (id) ON DELETE CASCADE,
    project     text NOT NULL REFERENCES arca_project (id) ON DELETE CASCADE,
    label       text NOT NULL,
    is_primary  boolean NOT NULL,
    PRIMARY KEY (subject_id, project),
    UNIQUE (project, label)
);

-- site-wide listings page through primary labels in order
CREATE INDEX arca_subject_label_primary ON arca_subject_label (label) WHERE is_primary;

CREATE TABLE arca_experiment (
    id          text PRIMARY KEY,
    project     text NOT NULL REFERENCES arca_project (id) ON DELETE CASCADE, -- primary
    subject_id  text NOT NULL REFERENCES arca_subject (id) ON DELETE CASCADE,
    session_id  text REFERENCES arca_experiment (id) ON DELETE CASCADE, -- assessors
    xsi_type    text NOT NULL CHECK (xsi_type ~ '^[A-Za-z][A-Za-z0-9_]*:[A-Za-z][A-Za-z0-9_]*$'),
    date        date,
    time        time,
    visit_id    text NOT NULL DEFAULT '',
    note        text NOT NULL DEFAULT '',
    modality    text NOT NULL DEFAULT '',
    scanner     text NOT NULL DEFAULT '',
    operator    text NOT NULL DEFAULT '',
    acquisition_site text NOT NULL DEFAULT '',
    session_type text NOT NULL DEFAULT '',
    uid         text NOT NULL DEFAULT '',   -- Study Instance UID
    fields      jsonb NOT NULL DEFAULT '{}',
    insert_date timestamptz NOT NULL DEFAULT now(),
    insert_user text NOT NULL DEFAULT ''
);
CREATE INDEX arca_experiment_subject ON arca_experiment (subject_id);
CREATE INDEX arca_experiment_project ON arca_experiment (project);
CREATE INDEX arca_experiment_session ON arca_experiment (session_id) WHERE session_id IS NOT NULL;

CREATE TABLE arca_experiment_label (
    experiment_id text NOT NULL REFERENCES arca_experiment (id) ON DELETE CASCADE,
    project     text NOT NULL REFERENCES arca_project (id) ON DELETE CASCADE,
    label       text NOT NULL,
    is_primary  boolean NOT NULL,
    PRIMARY KEY (experiment_id, project),
    UNIQUE (project, label)
);

CREATE INDEX arca_experiment_label_primary ON arca_experiment_label (label) WHERE is_primary;

CREATE TABLE arca_scan (
    pk          bigserial PRIMARY KEY,      -- XNAT's xnat_imagescandata_id
    experiment_id text NOT NULL REFERENCES arca_experiment (id) ON DELETE CASCADE,
    id          text NOT NULL,              -- "1", "2", ... unique in its session
    xsi_type    text NOT NULL CHECK (xsi_type ~ '^[A-Za-z][A-Za-z0-9_]*:[A-Za-z][A-Za-z0-9_]*$'),
    type        text NOT NULL DEFAULT '',
    quality     text NOT NULL DEFAULT '',
    condition   text NOT NULL DEFAULT '',
    series_description text NOT NULL DEFAULT '',
    note        text NOT NULL DEFAULT '',
    modality    text NOT NULL DEFAULT '',
    frames      integer,
    uid         text NOT NULL DEFAULT '',   -- Series Instance UID
    scanner     text NOT NULL DEFAULT '',
    fields      jsonb NOT NULL DEFAULT '{}',
    insert_date timestamptz NOT NULL DEFAULT now(),
    UNIQUE (experiment_id, id)
);

-- A resource belongs to exactly one of project, subject, experiment or scan. `dir` is its
-- directory relative to ArcaArchive, fixed at creation so renames never move files.
CREATE TABLE arca_resource (
    pk          bigserial PRIMARY KEY,      -- XNAT's xnat_abstractresource_id
    project     text REFERENCES arca_project (id) ON DELETE CASCADE,
    subject_id  text REFERENCES arca_subject (id) ON DELETE CASCADE,
    experiment_id text REFERENCES arca_experiment (id) ON DELETE CASCADE,
    scan_pk     bigint REFERENCES arca_scan (pk) ON DELETE CASCADE,
    label       text NOT NULL,
    format      text NOT NULL DEFAULT '',
    content     text NOT NULL DEFAULT '',
    tags        text NOT NULL DEFAULT '',
    description text NOT NULL DEFAULT '',
    dir         text NOT NULL UNIQUE,
    insert_date timestamptz NOT NULL DEFAULT now(),
    CHECK (num_nonnulls(project, subject_id, experiment_id, scan_pk) = 1),
    UNIQUE NULLS NOT DISTINCT (project, subject_id, experiment_id, scan_pk, label)
);
CREATE INDEX arca_resource_subject ON arca_resource (subject_id) WHERE subject_id IS NOT NULL;
CREATE INDEX arca_resource_experiment ON arca_resource (experiment_id) WHERE experiment_id IS NOT NULL;
CREATE INDEX arca_resource_scan ON arca_resource (scan_pk) WHERE scan_pk IS NOT NULL;

CREATE TABLE arca_file (
    pk          bigserial PRIMARY KEY,
    resource_pk bigint NOT NULL REFERENCES arca_resource (pk) ON DELETE CASCADE,
    path        text NOT NULL,              -- relative to the resource's dir; may hold '/'
    size        bigint NOT NULL,
    digest      text NOT NULL DEFAULT '',   -- MD5, hex
    format      text NOT NULL DEFAULT '',
    content     text NOT NULL DEFAULT '',
    tags        text NOT NULL DEFAULT '',
    insert_date timestamptz NOT NULL DEFAULT now(),
    UNIQUE (resource_pk, path)
);

-- Custom variables a project defines, with their types. Values live in the `fields`
-- jsonb of the object, as strings (what XNAT sends), checked against the type on write.
-- A field without a definition is accepted as a string, as XNAT does.
CREATE TABLE arca_field_def (
    project     text NOT NULL REFERENCES arca_project (id) ON DELETE CASCADE,
    level       text NOT NULL CHECK (level IN ('project', 'subject', 'experiment', 'scan')),
    name        text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]{0,63}$'),
    type        text NOT NULL CHECK (type IN ('string', 'integer', 'float', 'boolean', 'date')),
    description text NOT NULL DEFAULT '',
    definition  text NOT NULL DEFAULT 'default', -- XNAT's variable set ("definition ID")
    PRIMARY KEY (project, level, name)
);
