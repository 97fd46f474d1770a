"""The import over real-world DICOM: every file pydicom's test data ships (read from the
installed package at test time, never copied here), synthetic CT and MR series made at
test time, and uploads by real clients (curl, pyxnat). Stored files are checked with
dcmtk's dcmdump and pydicom: pixel data byte for byte, transfer syntax as received, the
site's default script applied, nothing else changed."""

import io
import re
import shutil
import subprocess
import tempfile
import uuid
import zipfile
from pathlib import Path

import pytest

pydicom = pytest.importorskip("pydicom")
from pydicom.dataset import Dataset, FileMetaDataset  # noqa: E402
from pydicom.encaps import generate_pixel_data_fragment  # noqa: E402
from pydicom.filebase import DicomBytesIO  # noqa: E402
from pydicom.uid import generate_uid  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("dcmdump") is None,
                                reason="dcmtk's dcmdump is not installed")

# Where the package keeps its test files; only what the installed package ships is used
# (pydicom can download more: never here).
TEST_FILES = Path(pydicom.data.get_testdata_file("CT_small.dcm", download=False)).parent


def is_dicom_file(path):
    """The rule for which of the package's files are DICOM: a Part 10 signature ("DICM"
    after the 128-byte preamble) or a .dcm name (bare datasets without meta header). The
    rest are helpers: README texts, dcmdump-style .dump files, JSON, a gzip."""
    with open(path, "rb") as f:
        head = f.read(132)
    return head[128:132] == b"DICM" or path.suffix == ".dcm"


ALL_FILES = sorted(str(p.relative_to(TEST_FILES)) for p in TEST_FILES.rglob("*")
                   if p.is_file() and is_dicom_file(p))

# Files dcmtk cannot parse, each with the reason Arca gives and what dcmdump says of it.
UNREADABLE = {
    # dcmdump: "PixelData (7fe0,0010) larger (8192) than remaining bytes in file": the file
    # ends inside the pixel data, which Arca finds while copying it through
    "MR_truncated.dcm": "truncated DICOM object (pixel data)",
    # dcmdump: "IsocenterPosition (300a,012c) larger (50) than remaining bytes (29)": cut
    # inside a nested sequence
    "rtplan_truncated.dcm": "malformed DICOM object",
    # dcmdump: "Unknown Tag & Data (0820,0500) larger (173228800) than remaining bytes": a
    # bare dataset shifted by a stray first byte, so no element starts where one should
    "no_meta.dcm": "not a DICOM object",
    # dcmdump: "Non-standard VR '  ' ... (4544,4952) larger (1329808723) than remaining
    # bytes": the meta header says JPEG Baseline (explicit VR), the dataset is implicit VR;
    # read as explicit VR, an element's length runs past the end of the file
    "SC_rgb_jpeg.dcm": "truncated or malformed DICOM object: an element runs past the end "
                       "of the data",
}

# Files dcmtk reads (dcmdump prints them whole) but that hold no SOP Instance UID (0008,0018)
# in their dataset: nothing to store them under (the archive names a file by that UID).
NO_INSTANCE = {
    # media storage directories: dcmdump lists their directory records; the only instance
    # UID is the meta header's (0002,0003)
    **{rel: "DICOMDIR" for rel in (
        "dicomdirtests/DICOMDIR", "dicomdirtests/DICOMDIR-bigEnd",
        "dicomdirtests/DICOMDIR-empty.dcm", "dicomdirtests/DICOMDIR-implicit",
        "dicomdirtests/DICOMDIR-nooffset", "dicomdirtests/DICOMDIR-nopatient",
        "dicomdirtests/DICOMDIR-reordered", "dicomdirtests/TINY_ALPHA/DICOMDIR")},
    # dcmdump: one private (4453,100c) UN sequence of undefined length, read as implicit VR
    # (CP-246), holding references only
    "UN_sequence.dcm": "fragment",
    # dcmdump: (0008,0005) empty and (0008,0008): a character-set test, two elements
    "empty_charset_LEI.dcm": "fragment",
    # dcmdump: nested (0001,0001) sequences (an illegal group) and nothing else
    "meta_missing_tsyntax.dcm": "fragment",
    "nested_priv_SQ.dcm": "fragment",
    # dcmdump: a meta header without group length, then a few (0008,xxxx) elements
    "no_meta_group_length.dcm": "fragment",
    # dcmdump: one private creator and one private element
    "priv_SQ.dcm": "fragment",
}

# Files the import should store but does not yet, for a fault outside the dcmtk bridge.
LEAD_XFAIL = {}  # files whose import is known to be wrong (none now)

SOP_INSTANCE_UID_MISSING = "a DICOM object without SOP Instance UID"


def read_input(rel):
    """The file as pydicom reads it (force: bare datasets have no preamble)."""
    return pydicom.dcmread(str(TEST_FILES / rel), force=True)


def expected_class(rel):
    """'stored', 'unreadable' or 'no-instance'. Files dcmtk reads but that carry no SOP
    Instance UID (DICOMDIRs, fragments of datasets that pydicom's own tests use) cannot be
    stored: the archive names a file by that UID. pydicom decides that here, not a list."""
    if rel in UNREADABLE:
        return "unreadable"
    if "SOPInstanceUID" not in read_input(rel):
        return "no-instance"
    return "stored"


CLASSES = {rel: expected_class(rel) for rel in ALL_FILES}
STORED = [r for r in ALL_FILES if CLASSES[r] == "stored"]
REJECTED = [r for r in ALL_FILES if CLASSES[r] != "stored"]


def reason_for(rel):
    return UNREADABLE.get(rel, SOP_INSTANCE_UID_MISSING)


def with_marks(files):
    return [pytest.param(r, id=r, marks=pytest.mark.xfail(reason=LEAD_XFAIL[r], strict=True))
            if r in LEAD_XFAIL else pytest.param(r, id=r) for r in files]


def zipped(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(name, data)
    return buf.getvalue()


def label_for(rel):
    """A label unique to the file, made of what XNAT labels may hold."""
    return "F" + re.sub(r"[^A-Za-z0-9]", "_", rel)[:50] + f"_{ALL_FILES.index(rel)}"


@pytest.fixture(scope="module")
def project(env):
    """A project, with the built-in site script in force (other tests store their own)."""
    s = env.session()
    default = s.get(env.url("/xapi/anonymize/default")).text
    assert s.put(env.url("/xapi/anonymize/site"), data=default).ok
    assert s.put(env.url("/xapi/anonymize/site/enabled/true")).ok
    p = f"Files{uuid.uuid4().hex[:8]}"
    assert env.session().put(env.url(f"/data/projects/{p}")).status_code == 201
    yield p
    env.session().delete(env.url(f"/data/projects/{p}?removeFiles=true"))


def import_(env, project, subject, session, body, handler="DICOM-zip", **extra):
    q = {"import-handler": handler, "PROJECT_ID": project, "SUBJECT_ID": subject,
         "EXPT_LABEL": session, "dest": "/archive", "inbody": "true", **extra}
    ctype = "application/dicom" if handler == "gradual-DICOM" else "application/zip"
    return env.session().post(env.url("/data/services/import"), params=q, data=body,
                              headers={"Content-Type": ctype}, timeout=60)


def session_uri(project, subject, session):
    return f"/data/archive/projects/{project}/subjects/{subject}/experiments/{session}"


def listing(env, path):
    r = env.session().get(env.url(path), params={"format": "json"}, timeout=30)
    assert r.status_code == 200, (path, r.status_code, r.text)
    return r.json()["ResultSet"]["Result"]


def stored_objects(env, project, subject, session):
    """Every stored file of the session, found through the REST API and downloaded:
    [(scan row, file row, bytes)]."""
    base = f"/data/projects/{project}/subjects/{subject}/experiments/{session}"
    out = []
    for scan in listing(env, base + "/scans"):
        for f in listing(env, f"{base}/scans/{scan['ID']}/resources/DICOM/files"):
            r = env.session().get(env.url(f["URI"]), timeout=30)
            assert r.status_code == 200, (f["URI"], r.status_code)
            out.append((scan, f, r.content))
    return out


def dcmdump(data):
    """dcmdump's output for the bytes; asserts it parsed them without an error."""
    with tempfile.NamedTemporaryFile(suffix=".dcm") as t:
        t.write(data)
        t.flush()
        r = subprocess.run(["dcmdump", "-dc", t.name], capture_output=True, text=True,
                           errors="replace")
    errors = [line for line in (r.stdout + r.stderr).splitlines() if line.startswith("E:")]
    assert r.returncode == 0 and not errors, r.stdout[-2000:] + r.stderr
    return r.stdout


def transfer_syntax_of(ds):
    """The transfer syntax a file was written in (bare datasets: what pydicom found)."""
    ts = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    if ts:
        return str(ts)
    if ds.is_implicit_VR:
        return "1.2.840.10008.1.2"
    return "1.2.840.10008.1.2.1" if ds.is_little_endian else "1.2.840.10008.1.2.2"


def fragments(ds):
    fp = DicomBytesIO(ds.PixelData)
    fp.is_little_endian = True  # encapsulated pixel data is always little endian
    return list(generate_pixel_data_fragment(fp))


def value_of(ds, tag):
    """An element's value as pydicom gives it, sequences item by item."""
    el = ds[tag]
    if el.VR == "SQ":
        return [{t: value_of(item, t) for t in item.keys()} for item in el.value]
    return el.value


# What the site's default anonymisation script (rest_default_anon_script) sets: Patient's
# Name := subject, Patient ID := session, Study Description := project.
SCRIPT_TAGS = {0x00100010, 0x00100020, 0x00081030}


def check_stored(env, project, rel, subject, session):
    """One stored object for the input file, as the default site script leaves it."""
    src = read_input(rel)
    objects = stored_objects(env, project, subject, session)
    assert len(objects) == 1, [(s["ID"], f["Name"]) for s, f, _ in objects]
    scan, frow, data = objects[0]
    assert frow["Name"] == f"{src.SOPInstanceUID}.dcm"
    series = str(src.get("SeriesNumber", "") or "").strip()
    if re.fullmatch(r"[0-9]+", series):
        assert scan["ID"] == series
    dump = dcmdump(data)
    assert re.search(r"^\(0010,0010\) PN \[" + re.escape(subject) + r" ?\]", dump, re.M), \
        [line for line in dump.splitlines() if "(0010,0010)" in line]

    out = pydicom.dcmread(io.BytesIO(data))
    assert data[128:132] == b"DICM"
    # transfer syntax kept as received
    assert str(out.file_meta.TransferSyntaxUID) == transfer_syntax_of(src)
    assert out.file_meta.MediaStorageSOPInstanceUID == src.SOPInstanceUID
    # the script's names in, the originals out
    assert str(out.PatientName) == subject and out.PatientID == session
    assert out.StudyDescription == project
    # pixel data byte for byte (encapsulated: the same fragments)
    if "PixelData" in src:
        assert out.PixelData == src.PixelData
        if src.file_meta.get("TransferSyntaxUID") and \
                src.file_meta.TransferSyntaxUID.is_encapsulated:
            assert fragments(out) == fragments(src)
    else:
        assert "PixelData" not in out
    # and nothing else changed (group lengths and trailing padding are not kept)
    def kept(ds):
        return {t for t in ds.keys() if t.element != 0 and t != 0xFFFCFFFC
                and t != 0x7FE00010 and t not in SCRIPT_TAGS}
    assert kept(out) == kept(src)
    changed = [str(t) for t in kept(src) if value_of(out, t) != value_of(src, t)]
    assert changed == []
    return out


# ---- pydicom's test files, one at a time ------------------------------------------------


def test_the_files_fall_into_the_expected_classes():
    """The classification is what dcmtk says: dcmdump refuses exactly the unreadable ones.
    And the package still ships what this file reasons about."""
    assert len(ALL_FILES) >= 150, ALL_FILES
    assert set(UNREADABLE) | set(LEAD_XFAIL) <= set(ALL_FILES)
    refused = []
    for rel in ALL_FILES:
        r = subprocess.run(["dcmdump", "-q", str(TEST_FILES / rel)], capture_output=True)
        if r.returncode != 0:
            refused.append(rel)
    assert sorted(refused) == sorted(UNREADABLE)
    assert sorted(r for r in ALL_FILES if CLASSES[r] == "no-instance") == sorted(NO_INSTANCE)
    counts = {c: sum(1 for r in ALL_FILES if CLASSES[r] == c)
              for c in ("stored", "unreadable", "no-instance")}
    assert counts["stored"] >= 120 and counts["no-instance"] >= 10, counts
    # the transfer syntaxes the issue names are all among the stored files
    syntaxes = {transfer_syntax_of(read_input(r)) for r in STORED}
    assert set(EXPLICIT_TS.values()) <= syntaxes


@pytest.mark.parametrize("handler", ["DICOM-zip", "gradual-DICOM"])
@pytest.mark.parametrize("rel", with_marks(STORED))
def test_stored_file(env, project, rel, handler):
    """Alone in an upload, into a fresh session: stored, readable by dcmtk, pixel data and
    transfer syntax as received, the default script's names in place of the patient's."""
    subject = label_for(rel)
    session = subject + ("_z" if handler == "DICOM-zip" else "_g")
    raw = (TEST_FILES / rel).read_bytes()
    body = zipped([(rel, raw)]) if handler == "DICOM-zip" else raw
    r = import_(env, project, subject, session, body, handler)
    assert r.status_code == 200, r.text
    assert r.text.splitlines() == [session_uri(project, subject, session)]
    assert "X-Arca-Rejected" not in r.headers
    check_stored(env, project, rel, subject, session)


GOOD = "MR_small.dcm"


@pytest.mark.parametrize("rel", REJECTED)
def test_rejected_member_beside_a_good_file(env, project, rel):
    """A zip with the bad file and a good one: the good one is stored, the bad one named
    with its reason in the answer and counted in X-Arca-Rejected."""
    subject = label_for(rel)
    session = subject + "_bz"
    body = zipped([(rel, (TEST_FILES / rel).read_bytes()),
                   ("good/" + GOOD, (TEST_FILES / GOOD).read_bytes())])
    r = import_(env, project, subject, session, body, report="full")
    assert r.status_code == 200, r.text
    lines = r.text.splitlines()
    assert lines[0] == session_uri(project, subject, session)
    assert lines[1:] == [f"rejected {rel}: {reason_for(rel)}"]
    assert r.headers["X-Arca-Rejected"] == "1"
    (scan, frow, data), = stored_objects(env, project, subject, session)
    assert frow["Name"] == f"{read_input(GOOD).SOPInstanceUID}.dcm"


@pytest.mark.parametrize("handler", ["DICOM-zip", "gradual-DICOM"])
@pytest.mark.parametrize("rel", REJECTED)
def test_rejected_alone(env, project, rel, handler):
    """Alone: a 400 that says why, and no session."""
    subject = label_for(rel)
    session = subject + ("_az" if handler == "DICOM-zip" else "_ag")
    raw = (TEST_FILES / rel).read_bytes()
    body = zipped([(rel, raw)]) if handler == "DICOM-zip" else raw
    r = import_(env, project, subject, session, body, handler)
    assert r.status_code == 400, r.text
    name = rel if handler == "DICOM-zip" else "(body)"
    assert r.text.strip().splitlines() == ["the upload holds no DICOM object:",
                                   f"rejected {name}: {reason_for(rel)}"]
    assert env.session().get(env.url(
        f"/data/projects/{project}/subjects/{subject}/experiments/{session}")).status_code \
        == 404


# ---- transfer syntaxes, named ------------------------------------------------------------

EXPLICIT_TS = {
    "image_dfl.dcm": "1.2.840.10008.1.2.1.99",            # deflated explicit VR LE
    "MR_small_bigendian.dcm": "1.2.840.10008.1.2.2",       # explicit VR big endian
    "ExplVR_BigEndNoMeta.dcm": "1.2.840.10008.1.2.2",      # the same, bare dataset
    "MR_small_implicit.dcm": "1.2.840.10008.1.2",          # implicit VR LE
    "SC_rgb_jpeg_dcmtk.dcm": "1.2.840.10008.1.2.4.50",     # JPEG baseline
    "JPEG-lossy.dcm": "1.2.840.10008.1.2.4.51",            # JPEG extended
    "SC_rgb_jpeg_gdcm.dcm": "1.2.840.10008.1.2.4.70",      # JPEG lossless SV1
    "MR_small_jpeg_ls_lossless.dcm": "1.2.840.10008.1.2.4.80",  # JPEG-LS lossless
    "MR_small_jp2klossless.dcm": "1.2.840.10008.1.2.4.90",  # JPEG 2000 lossless
    "JPEG2000.dcm": "1.2.840.10008.1.2.4.91",              # JPEG 2000
    "MR_small_RLE.dcm": "1.2.840.10008.1.2.5",             # RLE lossless
}


def test_transfer_syntaxes_are_kept(env, project):
    """Each stored file is in its input's transfer syntax (named here, not taken from the
    input), with its pixel data as it came. One upload each: several of these are the same
    instance in different encodings, which the archive would store as one file."""
    for i, (rel, ts) in enumerate(EXPLICIT_TS.items()):
        src = read_input(rel)
        assert transfer_syntax_of(src) == ts, rel
        r = import_(env, project, "TsSubject", f"Ts{i}", (TEST_FILES / rel).read_bytes(),
                    "gradual-DICOM")
        assert r.status_code == 200, (rel, r.text)
        (scan, frow, data), = stored_objects(env, project, "TsSubject", f"Ts{i}")
        out = pydicom.dcmread(io.BytesIO(data))
        assert out.file_meta.TransferSyntaxUID == ts, rel
        assert out.SOPInstanceUID == src.SOPInstanceUID
        if "PixelData" in src:
            assert out.PixelData == src.PixelData, rel
        assert str(out.PatientName) == "TsSubject"


# ---- the deflated transfer syntax ---------------------------------------------------------

REGRESSIONS = Path(__file__).resolve().parents[1] / "fuzz" / "regressions" / "dicom"


def deflated(extra):
    """A deflated object made here: a secondary capture with 8 KiB of pixel data and the
    elements `extra` sets (it gets the dataset)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = pydicom.uid.DeflatedExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, \
        meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Modality, ds.SeriesNumber, ds.InstanceNumber = "OT", 5, 1
    ds.PatientName, ds.PatientID = "Deflated^Patient", "DFL"
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.Rows, ds.Columns = 64, 64
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.PixelData = bytes((k * 13) & 0xFF for k in range(64 * 64 * 2))
    extra(ds)
    buf = io.BytesIO()
    ds.save_as(buf, write_like_original=False)
    return ds, buf.getvalue()


def test_deflated_object_is_stored_deflated_and_readable(env, project):
    """Inflated by the archive to read it, stored deflated again: dcmdump and pydicom read
    the stored file, pixel data and a long private value as sent."""
    def extra(ds):
        ds.add_new(0x00090010, "LO", "ARCA TEST")
        ds.add_new(0x00091000, "OB", bytes(k & 0xFF for k in range(10000)))
    src, raw = deflated(extra)
    r = import_(env, project, "DflSubject", "Dfl1", raw, "gradual-DICOM")
    assert r.status_code == 200, r.text
    (scan, frow, data), = stored_objects(env, project, "DflSubject", "Dfl1")
    assert frow["Name"] == f"{src.SOPInstanceUID}.dcm"
    dcmdump(data)
    out = pydicom.dcmread(io.BytesIO(data))
    assert out.file_meta.TransferSyntaxUID == pydicom.uid.DeflatedExplicitVRLittleEndian
    assert out.PixelData == src.PixelData
    assert out[0x00091000].value == src[0x00091000].value
    assert str(out.PatientName) == "DflSubject"


@pytest.mark.parametrize("name,reason", [
    # an element declaring 4 GiB in a few bytes of deflated data (found by fuzzing)
    ("deflated-declared-length-4gib",
     "truncated or malformed DICOM object: an element runs past the end of the data"),
    # 65 MiB of zeros deflate to some 65 KiB
    ("expands-past-the-limit", "deflated DICOM object expands past 64 MiB"),
])
def test_deflated_object_past_the_bounds_is_refused(env, project, name, reason):
    """Refused with the reason, nothing stored."""
    if name == "expands-past-the-limit":
        _, raw = deflated(lambda ds: ds.add_new(0x00091000, "OB", bytes(65 << 20)))
        assert len(raw) < 1 << 20
    else:
        raw = (REGRESSIONS / name).read_bytes()
    session = "DflBad" + str(len(name))
    r = import_(env, project, "DflSubject", session, raw, "gradual-DICOM")
    assert r.status_code == 400, r.text
    assert r.text.strip().splitlines() == ["the upload holds no DICOM object:",
                                           f"rejected (body): {reason}"]
    assert env.session().get(env.url(
        f"/data/projects/{project}/subjects/DflSubject/experiments/{session}")) \
        .status_code == 404


# ---- synthetic series ----------------------------------------------------------------------

def synthetic_series(modality, n=20, rows=64, cols=64, series_number=3,
                     description=None, patient="Synthetic^Patient", routing=None):
    """A series made here: unique UIDs, 16-bit pixel data that differs per slice."""
    study, series, frame = generate_uid(), generate_uid(), generate_uid()
    sop_class = {"CT": "1.2.840.10008.5.1.4.1.1.2", "MR": "1.2.840.10008.5.1.4.1.1.4"}[modality]
    out = []
    for i in range(1, n + 1):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = sop_class
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
        ds = Dataset()
        ds.file_meta = meta
        ds.is_little_endian, ds.is_implicit_VR = True, False
        ds.SpecificCharacterSet = "ISO_IR 100"
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.SOPClassUID, ds.SOPInstanceUID = sop_class, meta.MediaStorageSOPInstanceUID
        ds.StudyDate, ds.StudyTime = "20240315", "101500"
        ds.SeriesDate, ds.ContentDate = "20240315", "20240315"
        ds.AccessionNumber = "ACC" + modality
        ds.Modality = modality
        ds.Manufacturer = "ArcaTest"
        ds.ManufacturerModelName = f"Synth{modality} 3000"
        ds.StationName = "STATION1"
        ds.StudyDescription = f"Synthetic {modality} study"
        ds.SeriesDescription = description or f"{modality} axial series"
        ds.PatientName, ds.PatientID = patient, "SYN-" + modality
        if routing:
            ds.PatientComments = routing
        ds.PatientBirthDate, ds.PatientSex = "19700101", "O"
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.StudyID, ds.SeriesNumber, ds.InstanceNumber = "1", series_number, i
        ds.FrameOfReferenceUID = frame
        ds.ImagePositionPatient = [0, 0, float(i)]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.SliceThickness, ds.PixelSpacing = 1.0, [0.5, 0.5]
        if modality == "MR":
            ds.ScanningSequence, ds.SequenceVariant, ds.MRAcquisitionType = "SE", "NONE", "2D"
            ds.MagneticFieldStrength, ds.EchoTime, ds.RepetitionTime = 3, 12, 500
        else:
            ds.KVP, ds.RescaleIntercept, ds.RescaleSlope = 120, -1024, 1
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.Rows, ds.Columns = rows, cols
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
        ds.PixelData = bytes((i * 7 + k) & 0xFF for k in range(rows * cols * 2))
        buf = io.BytesIO()
        ds.save_as(buf, write_like_original=False)
        out.append((f"{modality}/{i:03d}.dcm", buf.getvalue()))
    return out


def test_synthetic_ct_and_mr_series_in_one_zip(env, project):
    """A CT study and an MR study (two series) in one zip under one EXPT_LABEL: the first
    study takes the label, the second the label with a number. Each session typed by
    modality, its scans by Series Number, typed by Series Description, every slice
    counted, the session's date, modality and scanner from the headers."""
    ct = synthetic_series("CT", series_number=2, description="Thorax 1.0 B31f")
    mr = synthetic_series("MR", series_number=5, description="t1_se_tra")
    extra = synthetic_series("MR", n=4, series_number=6, description="t2_tse_tra")
    # the second MR series joins the first one's study
    extra = [(n.replace("MR/", "MR6/"), retag_study(data, mr[0][1])) for n, data in extra]
    r = import_(env, project, "SynSubj", "Syn", zipped(ct + mr + extra), report="full")
    assert r.status_code == 200, r.text
    assert r.text.splitlines() == [session_uri(project, "SynSubj", "Syn"),
                                   session_uri(project, "SynSubj", "Syn_2")]
    s = env.session()
    base = f"/data/projects/{project}/subjects/SynSubj/experiments"
    rows = {x["label"]: x["xsiType"] for x in listing(env, base)}
    assert rows == {"Syn": "xnat:ctSessionData", "Syn_2": "xnat:mrSessionData"}
    expect = {
        "Syn": ("xnat:ctSessionData", "CT", "ArcaTest SynthCT 3000",
                [("2", "Thorax 1.0 B31f", "xnat:ctScanData", 20)]),
        "Syn_2": ("xnat:mrSessionData", "MR", "ArcaTest SynthMR 3000",
                  [("5", "t1_se_tra", "xnat:mrScanData", 20),
                   ("6", "t2_tse_tra", "xnat:mrScanData", 4)]),
    }
    for label, (xsi, modality, scanner, scans) in expect.items():
        item = s.get(env.url(f"{base}/{label}?format=json")).json()["items"][0]
        assert item["meta"]["xsi:type"] == xsi
        fields = item["data_fields"]
        assert fields["label"] == label
        assert fields["date"] == "2024-03-15"
        assert fields["modality"] == modality
        assert fields["scanner"] == scanner
        got = [(x["ID"], x["type"], x["series_description"], x["xsiType"], x["frames"])
               for x in listing(env, f"{base}/{label}/scans?columns=ID,type,"
                                     "series_description,xsiType,frames")]
        assert got == [(i, d, d, t, str(n)) for i, d, t, n in scans]
        for scan_id, _, _, n in scans:
            files = listing(env, f"{base}/{label}/scans/{scan_id}/resources/DICOM/files")
            assert len(files) == n
    # the stored slices: the names in, the patient's out, pixel data as made
    made = {pydicom.dcmread(io.BytesIO(d)).SOPInstanceUID: d for _, d in ct + mr + extra}
    stored = stored_objects(env, project, "SynSubj", "Syn") + \
        stored_objects(env, project, "SynSubj", "Syn_2")
    assert len(stored) == 44
    for scan, frow, data in stored:
        out = pydicom.dcmread(io.BytesIO(data))
        src = pydicom.dcmread(io.BytesIO(made[out.SOPInstanceUID]))
        assert str(out.PatientName) == "SynSubj" and out.PatientID in ("Syn", "Syn_2")
        assert out.SeriesNumber == src.SeriesNumber and str(out.SeriesNumber) == scan["ID"]
        assert out.PixelData == src.PixelData
    dcmdump(data)


def test_routing_comments_name_each_study(env, project):
    """Without SUBJECT_ID/EXPT_LABEL, each study goes where its Patient Comments say
    (XNAT's "Project: .. Subject: .. Session: .." convention), under that very label."""
    ct = synthetic_series("CT", n=3, routing="Project: x Subject: RouteSubj Session: RouteCT")
    mr = synthetic_series("MR", n=3, routing="Project: x Subject: RouteSubj Session: RouteMR")
    q = {"import-handler": "DICOM-zip", "PROJECT_ID": project, "dest": "/archive",
         "report": "full"}
    r = env.session().post(env.url("/data/services/import"), params=q, data=zipped(ct + mr),
                           headers={"Content-Type": "application/zip"}, timeout=60)
    assert r.status_code == 200, r.text
    assert r.text.splitlines() == [session_uri(project, "RouteSubj", "RouteCT"),
                                   session_uri(project, "RouteSubj", "RouteMR")]
    base = f"/data/projects/{project}/subjects/RouteSubj/experiments"
    assert {x["label"]: x["xsiType"] for x in listing(env, base)} == \
        {"RouteCT": "xnat:ctSessionData", "RouteMR": "xnat:mrSessionData"}


@pytest.mark.parametrize("date,stored", [("1997.04.24", "1997-04-24"), ("20230231", ""),
                                         ("abcdefgh", "")])
def test_a_study_date_that_is_no_date_leaves_the_date_empty(env, project, date, stored):
    """Beside a good series in one zip: both stored, the odd one's session without a
    date. (ACR-NEMA wrote 'yyyy.mm.dd', which is read; some writers put anything there.)"""
    good = synthetic_series("CT", n=2)
    odd = synthetic_series("MR", n=1)
    ds = pydicom.dcmread(io.BytesIO(odd[0][1]))
    ds.StudyDate = date
    buf = io.BytesIO()
    ds.save_as(buf, write_like_original=False)
    label = "BadDate" + re.sub(r"[^0-9A-Za-z]", "", date)
    r = import_(env, project, "BadDateSubj", label, zipped(good + [("odd.dcm", buf.getvalue())]),
                report="full")
    assert r.status_code == 200, r.text
    assert r.text.splitlines() == [session_uri(project, "BadDateSubj", label),
                                   session_uri(project, "BadDateSubj", label + "_2")]
    item = env.session().get(env.url(f"/data/projects/{project}/subjects/BadDateSubj/"
                                     f"experiments/{label}_2?format=json")).json()["items"][0]
    assert item["data_fields"].get("date", "") == stored
    assert len(stored_objects(env, project, "BadDateSubj", label + "_2")) == 1


def retag_study(data, other):
    """The object with the Study Instance UID of another."""
    ds = pydicom.dcmread(io.BytesIO(data))
    ds.StudyInstanceUID = pydicom.dcmread(io.BytesIO(other)).StudyInstanceUID
    buf = io.BytesIO()
    ds.save_as(buf, write_like_original=False)
    return buf.getvalue()


# ---- real clients --------------------------------------------------------------------------

def test_curl_upload(env, project, xnat, tmp_path):
    """curl --data-binary @zip, as XNAT's documentation shows it; listed through pyxnat."""
    path = tmp_path / "ct.zip"
    path.write_bytes(zipped(synthetic_series("CT", n=5, series_number=4)))
    url = env.url(f"/data/services/import?import-handler=DICOM-zip&PROJECT_ID={project}"
                  "&SUBJECT_ID=CurlSubj&EXPT_LABEL=CurlSess&dest=/archive&inbody=true")
    r = subprocess.run(["curl", "-sS", "-u", f"{env.ADMIN}:{env.ADMIN_PASSWORD}",
                        "-H", "Content-Type: application/zip", "-X", "POST",
                        "--data-binary", f"@{path}", "-w", "\n%{http_code}", url],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    body, code = r.stdout.rsplit("\n", 1)
    assert code == "200", body
    assert body.splitlines() == [session_uri(project, "CurlSubj", "CurlSess")]
    subject = xnat.select.project(project).subject("CurlSubj")
    assert list(subject.experiments().get()) == [
        xnat.select.project(project).subject("CurlSubj").experiment("CurlSess").id()]
    scans = subject.experiment("CurlSess").scans()
    assert list(scans.get()) == ["4"]
    assert len(subject.experiment("CurlSess").scan("4").resource("DICOM").files().get()) == 5


def test_pyxnat_upload(env, project, xnat):
    """pyxnat has no import helper: scripts post the zip through Interface._exec, which
    raises on an error answer. The session is then listed through pyxnat."""
    body = zipped(synthetic_series("MR", n=6, series_number=7, description="flair_tra"))
    content = xnat._exec(
        f"/data/services/import?import-handler=DICOM-zip&PROJECT_ID={project}"
        "&SUBJECT_ID=PyxSubj&EXPT_LABEL=PyxSess&dest=/archive&inbody=true", "POST", body,
        {"Content-Type": "application/zip"})
    assert content.decode().splitlines() == [session_uri(project, "PyxSubj", "PyxSess")]
    experiment = xnat.select.project(project).subject("PyxSubj").experiment("PyxSess")
    assert experiment.exists()
    assert experiment.attrs.get("xsiType") == "xnat:mrSessionData"
    assert experiment.attrs.get("modality") == "MR"
    assert list(experiment.scans().get()) == ["7"]
    scan = experiment.scan("7")
    assert scan.attrs.get("type") == "flair_tra"
    files = scan.resource("DICOM").files().get()
    assert len(files) == 6 and all(f.endswith(".dcm") for f in files)
    # a broken upload is an error pyxnat raises
    with pytest.raises(Exception, match="no DICOM object"):
        xnat._exec(f"/data/services/import?import-handler=DICOM-zip&PROJECT_ID={project}"
                   "&SUBJECT_ID=PyxSubj&EXPT_LABEL=PyxBad&dest=/archive", "POST",
                   zipped([("x.txt", b"not DICOM")]), {"Content-Type": "application/zip"})
