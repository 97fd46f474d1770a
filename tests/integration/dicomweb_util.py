"""What the DICOMweb tests share: objects made from pydicom's test files with fresh UIDs,
STOW-RS bodies, multipart answers read back."""

import io
import re
import uuid

import pydicom
from pydicom.data import get_testdata_file
from pydicom.uid import generate_uid


def new_uid():
    return "2.25." + str(uuid.uuid4().int)


def obj(name="CT_small.dcm", study=None, series=None, sop=None, patient_id=None,
        patient_name=None, **values):
    """A pydicom test file as bytes, with the given (or fresh) UIDs and values; its transfer
    syntax and encoding as in the file."""
    ds = pydicom.dcmread(get_testdata_file(name))
    ds.StudyInstanceUID = study or new_uid()
    ds.SeriesInstanceUID = series or new_uid()
    ds.SOPInstanceUID = sop or new_uid()
    if "file_meta" in ds and hasattr(ds, "file_meta"):
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    if patient_id is not None:
        ds.PatientID = patient_id
    if patient_name is not None:
        ds.PatientName = patient_name
    for k, v in values.items():
        setattr(ds, k, v)
    out = io.BytesIO()
    ds.save_as(out, write_like_original=True)
    return out.getvalue()


def stow_body(objects, boundary="stow-boundary-1"):
    parts = []
    for o in objects:
        ctype = "application/dicom"
        if isinstance(o, tuple):
            ctype, o = o
        parts.append(b"--" + boundary.encode() + b"\r\nContent-Type: " + ctype.encode()
                     + b"\r\n\r\n" + o + b"\r\n")
    body = b"\r\n" + b"".join(parts) + b"--" + boundary.encode() + b"--\r\n"
    return body, f'multipart/related; type="application/dicom"; boundary={boundary}'


def multipart_parts(response):
    """(part headers, part bytes) of a multipart/related answer."""
    ctype = response.headers["Content-Type"]
    m = re.search(r'boundary="?([^";]+)"?', ctype)
    assert m, ctype
    b = b"--" + m.group(1).encode()
    body = response.content
    assert body.startswith(b), body[:80]
    assert body.rstrip(b"\r\n").endswith(b + b"--"), body[-80:]
    out = []
    for chunk in body.split(b)[1:-1]:
        head, _, data = chunk.partition(b"\r\n\r\n")
        assert data.endswith(b"\r\n")
        headers = {}
        for line in head.strip(b"\r\n").split(b"\r\n"):
            k, _, v = line.decode().partition(":")
            headers[k.strip()] = v.strip()
        out.append((headers, data[:-2]))
    return out


def check_dicom_json(items):
    """The DICOM JSON model's rules (PS3.18 F.2) on a list of datasets."""
    def check(ds):
        keys = list(ds)
        assert keys == sorted(keys), keys
        for k, v in ds.items():
            assert re.fullmatch(r"[0-9A-F]{8}", k), k
            assert not k.endswith("0000") or k.startswith("0000") is False, k
            assert "vr" in v and re.fullmatch(r"[A-Z]{2}", v["vr"]), (k, v)
            assert sum(x in v for x in ("Value", "BulkDataURI", "InlineBinary")) <= 1, (k, v)
            if "Value" in v:
                assert isinstance(v["Value"], list) and v["Value"], (k, v)
                if v["vr"] == "PN":
                    assert all(isinstance(x, dict) for x in v["Value"]), (k, v)
                if v["vr"] == "SQ":
                    for item in v["Value"]:
                        check(item)
                if v["vr"] in ("US", "UL", "SS", "SL", "FL", "FD"):
                    assert all(isinstance(x, (int, float)) for x in v["Value"]), (k, v)
    for ds in items:
        check(ds)


def value(ds, tag):
    v = ds.get(tag, {}).get("Value")
    return v[0] if v else None
