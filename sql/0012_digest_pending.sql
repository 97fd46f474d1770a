-- 0012: files whose digest is still to be taken. The DICOM listener stores what it
-- receives without the MD5 and fills it in when the machine is idle (digest_fill.c); this
-- finds those rows without reading the others.
CREATE INDEX arca_file_digest_pending ON arca_file (pk) WHERE digest = '';
