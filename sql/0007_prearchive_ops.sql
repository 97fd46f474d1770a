-- 0007: operations on the prearchive. Why a session is in ERROR (or CONFLICT) is kept with
-- it, for the listing to show; each project says whether its sessions wait in the
-- prearchive or are archived once complete (XNAT's prearchive_code: 0 keep, 4 archive,
-- 5 archive, overwriting a session of the same label); and the sweeper finds sessions still
-- receiving by the time of their last object.
ALTER TABLE arca_prearchive ADD COLUMN message text NOT NULL DEFAULT '';
ALTER TABLE arca_project ADD COLUMN prearchive_code integer NOT NULL DEFAULT 0
    CHECK (prearchive_code IN (0, 4, 5));
CREATE INDEX arca_prearchive_receiving ON arca_prearchive (lastmod)
    WHERE status = 'RECEIVING';
