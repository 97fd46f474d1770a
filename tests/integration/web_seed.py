"""Data for the web pages' tests and benchmark: a project whose subjects carry seven
custom variables (the ToyPhantom table's), generated inside PostgreSQL, plus a CT session
imported through the API so that scans have DICOM files."""

import io
import zipfile

CUSTOM_VARS = [("Phantom_name", "string"), ("Scanner", "string"), ("CTDIvol", "float"),
               ("kVp", "integer"), ("ReconstructionAlgorithm", "string"),
               ("SliceThickness", "float"), ("Operator", "string")]

SUBJECTS_SQL = """
INSERT INTO arca_subject (id, project, gender, yob, fields)
  SELECT '{prefix}' || lpad(s::text, 6, '0'), '{project}',
         CASE WHEN s % 2 = 0 THEN 'female' ELSE 'male' END, 1940 + s % 60,
         jsonb_build_object('phantom_name', 'Phantom ' || lpad(s::text, 6, '0'),
                            'scanner', 'Scanner ' || s % 7,
                            'ctdivol', (5 + s % 20)::text || '.5',
                            'kvp', (80 + 20 * (s % 4))::text,
                            'reconstructionalgorithm', CASE WHEN s % 3 = 0 THEN 'FBP' ELSE 'IR' END,
                            'slicethickness', (1 + s % 5)::text,
                            'operator', 'Op' || s % 11)
  FROM generate_series(1, {n}) s;
INSERT INTO arca_subject_label (subject_id, project, label, is_primary)
  SELECT id, project, 'Sub' || substr(id, {cut}), true FROM arca_subject
  WHERE project = '{project}';
ANALYZE arca_subject; ANALYZE arca_subject_label;
"""


def seed_project(env, session, project, n_subjects, prefix, **fields):
    """The project (fields as PUT parameters), its custom variables, n subjects."""
    r = session.put(env.url(f"/data/projects/{project}"), params=fields)
    assert r.status_code in (200, 201), r.text
    for name, typ in CUSTOM_VARS:
        r = session.put(env.url(f"/xapi/projects/{project}/customVariables/subject/{name}"),
                        params={"type": typ})
        assert r.status_code in (200, 201), r.text
    env.sql(SUBJECTS_SQL.format(project=project, n=n_subjects, prefix=prefix,
                                cut=len(prefix) + 1))


def ct_zip(series_description="Axial 5mm"):
    """One CT series of two files (pydicom's CT_small)."""
    import pydicom
    from pydicom.data import get_testdata_file
    study, series = pydicom.uid.generate_uid(), pydicom.uid.generate_uid()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for i in (1, 2):
            ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
            ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
            ds.SOPInstanceUID = pydicom.uid.generate_uid()
            ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
            ds.SeriesNumber, ds.InstanceNumber = 1, i
            ds.SeriesDescription = series_description
            out = io.BytesIO()
            ds.save_as(out, write_like_original=False)
            z.writestr(f"{i}.dcm", out.getvalue())
    return buf.getvalue()


def import_session(env, session, project, subject, label):
    r = session.post(env.url("/data/services/import"), data=ct_zip(), params={
        "import-handler": "DICOM-zip", "PROJECT_ID": project, "SUBJECT_ID": subject,
        "EXPT_LABEL": label, "dest": "/archive", "inbody": "true"},
        headers={"Content-Type": "application/zip"})
    assert r.status_code == 200, r.text
