"""DICOMweb (mod_arca_dicomweb over libarca's dicomweb/): STOW-RS into a project, QIDO-RS at
both roots with the standard's keys, WADO-RS instances, metadata, frames and bulk data,
and the errors each answers."""

import io
import uuid

import pydicom
import pytest

from dicomweb_util import (check_dicom_json, multipart_parts, new_uid, obj, stow_body,
                           value)

JSON = "application/dicom+json"


@pytest.fixture(scope="module")
def world(env):
    tag = uuid.uuid4().hex[:6]
    project = f"DW{tag}"
    admin = env.session()
    assert admin.put(env.url(f"/data/projects/{project}")).status_code == 201
    assert admin.put(env.url(f"/data/projects/{project}/prearchive_code/4")).ok
    st1, se1, se2, st2 = new_uid(), new_uid(), new_uid(), new_uid()
    pid = f"PID{tag}"
    ct = [obj("CT_small.dcm", study=st1, series=se1, patient_id=pid, InstanceNumber=n,
              SeriesNumber=1,
              patient_name="Doe^Jane", AccessionNumber=f"ACC{tag}",
              StudyDescription="Chest CT routine", StudyDate="20040119") for n in (1, 2)]
    mr = obj("MR_small.dcm", study=st1, series=se2, patient_id=pid, patient_name="Doe^Jane",
             SeriesNumber=2,
             AccessionNumber=f"ACC{tag}", StudyDescription="Chest CT routine",
             StudyDate="20040119")
    other = obj("MR_small.dcm", study=st2, patient_id=f"OTHER{tag}",
                patient_name="Roe^Richard", StudyDescription="Head MR",
                StudyDate="20100601")
    body, ctype = stow_body(ct + [mr, other])
    r = admin.post(env.url(f"/dicomweb/projects/{project}/studies"), data=body,
                   headers={"Content-Type": ctype, "Accept": JSON})
    assert r.status_code == 200, r.text
    # as stored: the site's script writes the subject (named from the Patient ID) and the
    # session label (from the Study Instance UID) into Patient's Name and ID
    assert env.sql(f"SELECT count(*) FROM arca_experiment WHERE uid = '{st1}'") == [["1"]]
    yield {"project": project, "st1": st1, "se1": se1, "se2": se2, "st2": st2, "pid": pid,
           "tag": tag, "ct": ct, "mr": mr, "stow": r.json()}
    admin.delete(env.url(f"/data/projects/{project}?removeFiles=true"))


def qido(env, path, auth=None, **params):
    return env.get(path, auth=auth, params=params, headers={"Accept": JSON})


def uids(r, tag="0020000D"):
    assert r.status_code == 200, r.text
    return [value(x, tag) for x in r.json()]


# ---- STOW-RS ---------------------------------------------------------------------------

def test_stow_answer_lists_every_instance_with_its_url(env, world):
    ans = world["stow"]
    refs = ans["00081199"]["Value"]
    assert len(refs) == 4
    for item in refs:
        assert value(item, "00081150") and value(item, "00081155")
        assert "/dicomweb/projects/" in value(item, "00081190")
    assert "00081198" not in ans
    check_dicom_json([ans])


def test_stow_truncated_part_fails_alone(env, world):
    good = obj("CT_small.dcm", patient_id=world["pid"])
    bad = obj("CT_small.dcm", patient_id=world["pid"])[:-3000]
    body, ctype = stow_body([good, bad])
    r = env.session().post(env.url(f"/dicomweb/projects/{world['project']}/studies"),
                           data=body, headers={"Content-Type": ctype})
    assert r.status_code == 202, r.text
    ans = r.json()
    assert len(ans["00081199"]["Value"]) == 1
    failed = ans["00081198"]["Value"]
    assert len(failed) == 1 and value(failed[0], "00081197") == 0xC000
    sop = value(ans["00081199"]["Value"][0], "00081155")
    assert qido(env, "/dicomweb/instances", SOPInstanceUID=sop).json()


def test_stow_all_failed_is_409(env, world):
    body, ctype = stow_body([b"not dicom at all" * 20])
    r = env.session().post(env.url(f"/dicomweb/projects/{world['project']}/studies"),
                           data=body, headers={"Content-Type": ctype})
    assert r.status_code == 409, r.text
    assert value(r.json()["00081198"]["Value"][0], "00081197") == 0xC000


def test_stow_study_in_path_must_match(env, world):
    body, ctype = stow_body([obj("CT_small.dcm")])
    r = env.session().post(env.url(f"/dicomweb/projects/{world['project']}/studies/"
                                   f"{world['st1']}"), data=body,
                           headers={"Content-Type": ctype})
    assert r.status_code == 409, r.text
    assert value(r.json()["00081198"]["Value"][0], "00081197") == 0xA900


@pytest.mark.parametrize("name", ["CT_small.dcm", "MR_small_implicit.dcm",
                                  "MR_small_bigendian.dcm", "image_dfl.dcm",
                                  "JPEG-lossy.dcm", "MR_small_RLE.dcm", "JPEG2000.dcm"])
def test_stow_transfer_syntaxes_and_retrieve_as_stored(env, world, name):
    st = new_uid()
    data = obj(name, study=st, patient_id=world["pid"])
    sent = pydicom.dcmread(io.BytesIO(data))
    body, ctype = stow_body([data])
    r = env.session().post(env.url(f"/dicomweb/projects/{world['project']}/studies"),
                           data=body, headers={"Content-Type": ctype})
    assert r.status_code == 200, (name, r.text)
    ts = str(sent.file_meta.TransferSyntaxUID)
    r = env.get(f"/dicomweb/studies/{st}", headers={
        "Accept": 'multipart/related; type="application/dicom"; transfer-syntax=*'})
    assert r.status_code == 200, r.text
    parts = multipart_parts(r)
    assert len(parts) == 1
    assert parts[0][0]["Content-Type"] == f"application/dicom; transfer-syntax={ts}"
    got = pydicom.dcmread(io.BytesIO(parts[0][1]))
    assert str(got.file_meta.TransferSyntaxUID) == ts
    assert got.SOPInstanceUID == sent.SOPInstanceUID
    if "PixelData" in sent:
        assert got.PixelData == sent.PixelData
    # its first frame: cut from native pixel data, the fragments of encapsulated ones; a
    # deflated object's pixel data has no place in the file to cut from
    r = env.get(f"/dicomweb/studies/{st}/series/{sent.SeriesInstanceUID}/instances/"
                f"{sent.SOPInstanceUID}/frames/1", headers={
                    "Accept": "multipart/related; type=application/octet-stream; "
                              "transfer-syntax=*"})
    if name == "image_dfl.dcm":
        assert r.status_code == 404, r.text
        return
    assert r.status_code == 200, r.text
    (part,) = multipart_parts(r)
    if sent.file_meta.TransferSyntaxUID.is_compressed:
        from pydicom.encaps import generate_pixel_data_frame
        frame = next(generate_pixel_data_frame(sent.PixelData, 1))
        assert part[0]["Content-Type"].endswith(f"transfer-syntax={ts}")
        assert not part[0]["Content-Type"].startswith("application/octet-stream")
    else:
        frame = sent.PixelData[:sent.Rows * sent.Columns * sent.SamplesPerPixel
                               * sent.BitsAllocated // 8]
    assert part[1] == frame


def test_stow_needs_project_root_and_multipart(env, world):
    body, ctype = stow_body([obj()])
    s = env.session()
    r = s.post(env.url("/dicomweb/studies"), data=body, headers={"Content-Type": ctype})
    assert r.status_code == 400 and "project" in r.text
    r = s.post(env.url(f"/dicomweb/projects/{world['project']}/studies"), data=obj(),
               headers={"Content-Type": "application/dicom"})
    assert r.status_code == 415, r.text
    r = s.post(env.url(f"/dicomweb/projects/{world['project']}/studies"), data=body,
               headers={"Content-Type": ctype.replace("application/dicom",
                                                      "application/dicom+xml")})
    assert r.status_code == 415, r.text
    r = s.post(env.url(f"/dicomweb/projects/{world['project']}/studies"),
               data=body[:len(body) // 2], headers={"Content-Type": ctype})
    assert r.status_code == 400 and "truncated" in r.text


# ---- QIDO-RS ---------------------------------------------------------------------------

def test_ohif_first_query_as_sent(env, world):
    r = env.get("/dicomweb/studies?limit=101&offset=0&fuzzymatching=false"
                "&includefield=00081030%2C00080060%2C00080090%2C00100030",
                headers={"Accept": "application/dicom+json"})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == JSON
    studies = {value(x, "0020000D"): x for x in r.json()}
    s = studies[world["st1"]]
    check_dicom_json(r.json())
    assert value(s, "00100020") == world["st1"]
    assert value(s, "00100010") == {"Alphabetic": world["pid"]}
    assert value(s, "00081030") == world["project"]
    assert value(s, "00080020") == "20040119"
    assert sorted(s["00080061"]["Value"]) == ["CT", "MR"]
    assert value(s, "00201206") == 2 and value(s, "00201208") == 3
    assert value(s, "00081190").endswith(f"/dicomweb/studies/{world['st1']}")


@pytest.mark.parametrize("params, hit", [
    ({"PatientID": "{st1}"}, True),
    ({"00100020": "{st1}"}, True),
    ({"PatientID": "NOPE"}, False),
    ({"PatientName": "{pid_lower}"}, True),
    ({"PatientName": "*{tag}*"}, True),
    ({"PatientName": "Roe*"}, False),
    # the site's script stores the project as Study Description
    ({"StudyDescription": "*w{tag}"}, False),   # texts are case-sensitive
    ({"StudyDescription": "*W{tag}"}, True),
    ({"StudyDescription": "D?{tag}*"}, True),
    ({"AccessionNumber": "ACC{tag}"}, True),
    ({"StudyDate": "20040101-20040131"}, True),
    ({"StudyDate": "-20040118"}, False),
    ({"StudyDate": "20040119-"}, True),
    ({"StudyDate": "20040119"}, True),
    ({"ModalitiesInStudy": "MR"}, True),
    ({"ModalitiesInStudy": "US\\CT"}, True),
    ({"ModalitiesInStudy": "US,PT"}, False),
    ({"StudyInstanceUID": "{st1}"}, True),
    ({"StudyInstanceUID": "1.2.3\\{st1}"}, True),
    ({"StudyInstanceUID": "1.2.3,{st1}"}, True),
    ({"StudyInstanceUID": "1.2.3"}, False),
])
def test_qido_study_keys(env, world, params, hit):
    params = {k: v.format(pid_lower=world["pid"].lower(), **world)
              for k, v in params.items()}
    found = uids(qido(env, "/dicomweb/studies", **params))
    assert (world["st1"] in found) == hit, (params, found)


def test_qido_no_match_is_200_empty_array(env, world):
    r = qido(env, "/dicomweb/studies", PatientID="NO-SUCH-PATIENT")
    assert r.status_code == 200 and r.json() == []
    assert r.headers["Content-Type"] == JSON


@pytest.mark.parametrize("params, word", [
    ({"NoSuchKeyword": "x"}, "NoSuchKeyword"),
    ({"StudyDate": "2004-01-01"}, "StudyDate"),
    ({"StudyDate": "yesterday"}, "StudyDate"),
    ({"StudyInstanceUID": "abc"}, "StudyInstanceUID"),
    ({"limit": "-1"}, "limit"),
    ({"offset": "x"}, "offset"),
    ({"includefield": "NotATag"}, "NotATag"),
    ({"SOPInstanceUID": "1.2"}, "SOPInstanceUID"),     # not a study-level key
    ({"fuzzymatching": "maybe"}, "fuzzymatching"),
])
def test_qido_bad_keys_are_400_saying_which(env, world, params, word):
    r = qido(env, "/dicomweb/studies", **params)
    assert r.status_code == 400, r.text
    assert word in r.text


def test_qido_limit_offset_and_warning(env, world):
    all_ = uids(qido(env, "/dicomweb/studies"))
    assert len(all_) >= 2
    r = qido(env, "/dicomweb/studies", limit="1")
    assert len(r.json()) == 1 and "Warning" in r.headers
    assert r.headers["Warning"].startswith("299 ")
    r2 = qido(env, "/dicomweb/studies", limit="1", offset="1")
    assert uids(r2) == all_[1:2]
    r = qido(env, "/dicomweb/studies", limit=str(len(all_)))
    assert "Warning" not in r.headers


def test_qido_fuzzy_matching_is_refused_with_a_warning(env, world):
    r = qido(env, "/dicomweb/studies", PatientName="doe^jane", fuzzymatching="true")
    assert r.status_code == 200
    assert "fuzzy" in r.headers.get("Warning", "")


def test_qido_series_and_instances_paths(env, world):
    st, se1, se2 = world["st1"], world["se1"], world["se2"]
    r = qido(env, f"/dicomweb/studies/{st}/series", includefield="0008103E,00080021")
    check_dicom_json(r.json())
    series = {value(x, "0020000E"): x for x in r.json()}
    assert set(series) == {se1, se2}
    assert value(series[se1], "00080060") == "CT"
    assert value(series[se1], "00201209") == 2
    assert value(series[se2], "00080060") == "MR"
    assert uids(qido(env, "/dicomweb/series", SeriesInstanceUID=se1), "0020000E") == [se1]
    assert uids(qido(env, "/dicomweb/series", Modality="MR", StudyInstanceUID=st),
                "0020000E") == [se2]
    r = qido(env, f"/dicomweb/studies/{st}/series/{se1}/instances")
    check_dicom_json(r.json())
    assert [value(x, "00200013") for x in r.json()] == [1, 2]
    assert all(value(x, "00080016") == "1.2.840.10008.5.1.4.1.1.2" for x in r.json())
    assert value(r.json()[0], "00280010") == 128
    assert len(uids(qido(env, f"/dicomweb/studies/{st}/instances"), "00080018")) == 3
    sop = value(r.json()[0], "00080018")
    assert uids(qido(env, "/dicomweb/instances", SOPInstanceUID=sop), "00080018") == [sop]
    # OHIF's thumbnail query
    r = qido(env, f"/dicomweb/studies/{st}/series/{se1}/instances", limit="1",
             includefield="00080018")
    assert len(r.json()) == 1


def test_qido_includefield_from_the_stored_header(env, world):
    r = qido(env, f"/dicomweb/studies/{world['st1']}/series/{world['se1']}/instances",
             includefield="KVP,00180050")
    x = r.json()[0]
    assert x["00180060"]["vr"] == "DS" and value(x, "00180050") is not None
    r = qido(env, f"/dicomweb/studies/{world['st1']}/series/{world['se1']}/instances",
             includefield="all")
    x = r.json()[0]
    check_dicom_json(r.json())
    assert "00280030" in x and "7FE00010" not in x


# ---- WADO-RS ---------------------------------------------------------------------------

def test_metadata_at_three_levels(env, world):
    st, se1 = world["st1"], world["se1"]
    r = env.get(f"/dicomweb/studies/{st}/metadata", headers={"Accept": JSON})
    assert r.status_code == 200 and r.headers["Content-Type"] == JSON
    md = r.json()
    assert len(md) == 3
    check_dicom_json(md)
    for x in md:
        assert value(x, "00100010") == {"Alphabetic": world["pid"]}
        assert value(x, "0020000D") == st
        pix = x["7FE00010"]
        assert pix["BulkDataURI"].startswith("http") and "Value" not in pix
    r = env.get(f"/dicomweb/studies/{st}/series/{se1}/metadata")
    assert len(r.json()) == 2
    sop = value(r.json()[0], "00080018")
    r = env.get(f"/dicomweb/studies/{st}/series/{se1}/instances/{sop}/metadata")
    (x,) = r.json()
    for tag in ("00280010", "00280011", "00280100", "00280103", "00280004", "00200032"):
        assert tag in x, tag
    assert isinstance(value(x, "00280010"), int)


def test_retrieve_instance_series_study(env, world):
    st, se1 = world["st1"], world["se1"]
    acc = {"Accept": 'multipart/related; type="application/dicom"'}
    assert len(multipart_parts(env.get(f"/dicomweb/studies/{st}", headers=acc))) == 3
    assert len(multipart_parts(env.get(f"/dicomweb/studies/{st}/series/{se1}",
                                       headers=acc))) == 2
    sop = pydicom.dcmread(io.BytesIO(world["ct"][0])).SOPInstanceUID
    r = env.get(f"/dicomweb/studies/{st}/series/{se1}/instances/{sop}", headers=acc)
    (part,) = multipart_parts(r)
    assert pydicom.dcmread(io.BytesIO(part[1])).SOPInstanceUID == sop


def test_retrieve_other_transfer_syntax_is_406_naming_the_stored_one(env, world):
    st = world["st1"]
    r = env.get(f"/dicomweb/studies/{st}", headers={
        "Accept": "multipart/related; type=application/dicom; "
                  "transfer-syntax=1.2.840.10008.1.2.4.50"})
    assert r.status_code == 406, r.text
    assert "1.2.840.10008.1.2.1" in r.text


def test_frames_native(env, world):
    st, se1 = world["st1"], world["se1"]
    ds = pydicom.dcmread(io.BytesIO(world["ct"][0]))
    url = f"/dicomweb/studies/{st}/series/{se1}/instances/{ds.SOPInstanceUID}/frames/1"
    for accept in ('multipart/related; type="application/octet-stream"; transfer-syntax=*',
                   "multipart/related; type=application/octet-stream; transfer-syntax=*",
                   "multipart/related; type=application/octet-stream; "
                   "transfer-syntax=1.2.840.10008.1.2.1"):
        r = env.get(url, headers={"Accept": accept})
        assert r.status_code == 200, (accept, r.text)
        (part,) = multipart_parts(r)
        assert part[0]["Content-Type"] == ("application/octet-stream; "
                                           "transfer-syntax=1.2.840.10008.1.2.1")
        assert part[1] == ds.PixelData
    r = env.get(url[:-1] + "2")
    assert r.status_code == 404
    r = env.get(url[:-1] + "x")
    assert r.status_code == 400


@pytest.mark.parametrize("name", ["SC_rgb_rle_2frame.dcm", "rtdose.dcm"])
def test_frames_multiframe(env, world, name):
    st = new_uid()
    data = obj(name, study=st, patient_id=world["pid"])
    ds = pydicom.dcmread(io.BytesIO(data))
    body, ctype = stow_body([data])
    assert env.session().post(env.url(f"/dicomweb/projects/{world['project']}/studies"),
                              data=body, headers={"Content-Type": ctype}).ok
    n = int(ds.NumberOfFrames)
    if ds.file_meta.TransferSyntaxUID.is_compressed:
        from pydicom.encaps import generate_pixel_data_frame
        frames = list(generate_pixel_data_frame(ds.PixelData, n))
        ts = str(ds.file_meta.TransferSyntaxUID)
    else:
        size = len(ds.PixelData) // n
        frames = [ds.PixelData[i * size:(i + 1) * size] for i in range(n)]
        ts = "1.2.840.10008.1.2.1"
    base = (f"/dicomweb/studies/{st}/series/{ds.SeriesInstanceUID}/instances/"
            f"{ds.SOPInstanceUID}/frames/")
    for k in (1, n):
        r = env.get(base + str(k), headers={
            "Accept": "multipart/related; type=application/octet-stream; transfer-syntax=*"})
        assert r.status_code == 200, r.text
        (part,) = multipart_parts(r)
        assert part[0]["Content-Type"].endswith(f"transfer-syntax={ts}"), part[0]
        assert part[1] == frames[k - 1]
    r = env.get(base + f"1,{n}")
    assert [p[1] for p in multipart_parts(r)] == [frames[0], frames[n - 1]]
    assert env.get(base + str(n + 1)).status_code == 404
    md = env.get(f"/dicomweb/studies/{st}/metadata").json()
    assert value(md[0], "00280008") == n


def test_bulkdata_uri_resolves(env, world):
    st = world["st1"]
    md = env.get(f"/dicomweb/studies/{st}/series/{world['se1']}/metadata").json()
    ds = pydicom.dcmread(io.BytesIO(world["ct"][0]))
    x = [m for m in md if value(m, "00080018") == ds.SOPInstanceUID][0]
    uri = x["7FE00010"]["BulkDataURI"]
    r = env.session().get(uri, headers={"Accept": "application/octet-stream"})
    assert r.status_code == 200 and r.content == ds.PixelData


def test_wado_unknown_is_404(env, world):
    for path in (f"/dicomweb/studies/{new_uid()}", f"/dicomweb/studies/{new_uid()}/metadata",
                 f"/dicomweb/studies/{world['st1']}/series/{new_uid()}",
                 f"/dicomweb/studies/{world['st1']}/series/{world['se1']}/instances/"
                 f"{new_uid()}/frames/1",
                 "/dicomweb/studies/not-a-uid", "/dicomweb/nothing"):
        r = env.get(path)
        assert r.status_code == 404, (path, r.text)


def test_metadata_values_as_dicom_json(env, world):
    """Latin-1 text in UTF-8, numbers DICOM allows and JSON does not, AT, PN groups."""
    from pydicom.dataelem import DataElement
    st = new_uid()
    data = obj("CT_small.dcm", study=st, patient_id=world["pid"],
               SpecificCharacterSet="ISO_IR 100")
    ds = pydicom.dcmread(io.BytesIO(data))
    ds.add(DataElement(0x00080080, "LO", "Clinique Hôpital".encode("latin-1")))
    ds.add(DataElement(0x00180050, "DS", b"1. "))
    ds.add(DataElement(0x00200012, "IS", b"+3"))
    ds.add(DataElement(0x00280009, "AT", [0x00540010, 0x00540020]))
    ds.add(DataElement(0x00081050, "PN", b"Yamada^Tarou==yamada^tarou"))
    ds.add(DataElement(0x00081060, "PN", b""))
    out = io.BytesIO()
    ds.save_as(out, write_like_original=True)
    body, ctype = stow_body([out.getvalue()])
    assert env.session().post(env.url(f"/dicomweb/projects/{world['project']}/studies"),
                              data=body, headers={"Content-Type": ctype}).ok
    r = env.get(f"/dicomweb/studies/{st}/metadata")
    assert r.status_code == 200, r.text
    (x,) = r.json()
    check_dicom_json([x])
    assert value(x, "00080080") == "Clinique Hôpital"
    assert x["00180050"]["Value"] == [1]
    assert x["00200012"]["Value"] == [3]
    assert x["00280009"]["Value"] == ["00540010", "00540020"]
    assert value(x, "00081050") == {"Alphabetic": "Yamada^Tarou",
                                    "Phonetic": "yamada^tarou"}
    assert x["00081060"] == {"vr": "PN"}


@pytest.mark.parametrize("name", ["MR_small_implicit.dcm", "MR_small_bigendian.dcm"])
def test_retrieve_converted_to_explicit_little_endian(env, world, name):
    st = new_uid()
    data = obj(name, study=st, patient_id=world["pid"])
    sent = pydicom.dcmread(io.BytesIO(data))
    body, ctype = stow_body([data])
    assert env.session().post(env.url(f"/dicomweb/projects/{world['project']}/studies"),
                              data=body, headers={"Content-Type": ctype}).ok
    r = env.get(f"/dicomweb/studies/{st}", headers={
        "Accept": 'multipart/related; type="application/dicom"; '
                  'transfer-syntax=1.2.840.10008.1.2.1'})
    assert r.status_code == 200, r.text
    (part,) = multipart_parts(r)
    assert part[0]["Content-Type"] == ("application/dicom; "
                                       "transfer-syntax=1.2.840.10008.1.2.1")
    got = pydicom.dcmread(io.BytesIO(part[1]))
    assert str(got.file_meta.TransferSyntaxUID) == "1.2.840.10008.1.2.1"
    assert not got.is_implicit_VR and got.is_little_endian
    assert got.SOPInstanceUID == sent.SOPInstanceUID
    assert (got.pixel_array == sent.pixel_array).all()


def test_compressed_is_not_converted(env, world):
    st = new_uid()
    body, ctype = stow_body([obj("JPEG-lossy.dcm", study=st, patient_id=world["pid"])])
    assert env.session().post(env.url(f"/dicomweb/projects/{world['project']}/studies"),
                              data=body, headers={"Content-Type": ctype}).ok
    r = env.get(f"/dicomweb/studies/{st}", headers={
        "Accept": "multipart/related; type=application/dicom; "
                  "transfer-syntax=1.2.840.10008.1.2.1"})
    assert r.status_code == 406 and "1.2.840.10008.1.2.4.51" in r.text, r.text
