-- 0005: the prearchive: sessions received but not yet archived, each a folder under
-- ArcaPrearchive/{project or Unassigned}/{timestamp}/{session}, with XNAT's statuses.
CREATE TABLE arca_prearchive (
    id          bigserial PRIMARY KEY,
    project     text NOT NULL,               -- a project ID, or 'Unassigned'
    timestamp   text NOT NULL CHECK (timestamp ~ '^[0-9]{8}_[0-9]{9}$'),
    folder      text NOT NULL,               -- the session label
    subject     text NOT NULL DEFAULT '',
    study_uid   text NOT NULL DEFAULT '',
    modality    text NOT NULL DEFAULT '',
    scan_date   date,
    status      text NOT NULL DEFAULT 'READY' CHECK (status IN ('RECEIVING', 'BUILDING',
                'READY', 'ARCHIVING', 'MOVING', 'DELETING', 'CONFLICT', 'ERROR')),
    uploaded    timestamptz NOT NULL DEFAULT now(),
    lastmod     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project, timestamp, folder)
);
