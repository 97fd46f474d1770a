"""Display fields and cross-type columns as pyxnat and xnatpy read them.

Projects: XNAT's PROJ_MR_COUNT, PROJ_CT_COUNT, PROJ_PET_COUNT, PROJ_UT_COUNT (sessions of
the type in the project, empty when none; clients sum int(v) of the non-empty ones) and
PROJECT_OWNERS, listed by /data/search/elements/xnat:projectData and searched as pyxnat's
select('xnat:projectData', [...]) posts them (element_name and field_ID split at the first
'/'; the CSV headed by the field IDs in lower case). Subjects: the display fields pyxnat's
Subject repr selects (SES, ADD_IDS beside the ones Arca had).

Listings: pyxnat's array.scans()/mrscans() ask
/data/experiments?xsiType=..&columns=ID,project,{exp}/subject_id,xnat:mrScanData/ID[,..]
as JSON and read row['xnat:mrscandata/id']: one row per scan of that type, the scan
columns headed in lower case."""

import csv
import io
from xml.sax.saxutils import escape

import pytest

P = "XpyCols"
SCANS = {"MR1": [("1", "xnat:mrScanData", "T1"), ("2", "xnat:mrScanData", "T2"),
                 ("3", "xnat:otherDicomScanData", "SR")],
         "MR2": [("1", "xnat:mrScanData", "FLAIR")]}
PROJECT_FIELDS = ["PROJ_MR_COUNT", "PROJ_CT_COUNT", "PROJ_PET_COUNT", "PROJ_UT_COUNT",
                  "PROJECT_OWNERS"]


def bundle(root, columns, criteria):
    """pyxnat's build_search_document: one search_field per column, split at '/'."""
    fields = "".join(
        f"<xdat:search_field><xdat:element_name>{c.split('/', 1)[0]}</xdat:element_name>"
        f"<xdat:field_ID>{c.split('/', 1)[1]}</xdat:field_ID><xdat:sequence>{i}"
        f"</xdat:sequence><xdat:type>string</xdat:type><xdat:header>{c}</xdat:header>"
        "</xdat:search_field>" for i, c in enumerate(columns))
    crit = "".join(
        f"<xdat:criteria override_value_formatting=\"0\"><xdat:schema_field>{f}"
        f"</xdat:schema_field><xdat:comparison_type>{op}</xdat:comparison_type>"
        f"<xdat:value>{v}</xdat:value></xdat:criteria>"
        for f, op, v in ((f, escape(op), escape(v)) for f, op, v in criteria))
    return (f"<xdat:bundle xmlns:xdat=\"http://nrg.wustl.edu/security\" ID=\"@{root}\" "
            "brief-description=\"\" description=\"\" allow-diff-columns=\"0\" "
            f"secure=\"false\"><xdat:root_element_name>{root}</xdat:root_element_name>"
            f"{fields}<xdat:search_where method=\"AND\">{crit}</xdat:search_where>"
            "</xdat:bundle>")


def select(env, root, columns, criteria):
    r = env.session().post(env.url("/data/search"), params={"format": "csv"},
                           data=bundle(root, columns, criteria))
    assert r.status_code == 200, r.text
    return list(csv.DictReader(io.StringIO(r.text)))


def get_json(env, path):
    r = env.get(path + ("&" if "?" in path else "?") + "format=json")
    assert r.status_code == 200, r.text
    return r.json()["ResultSet"]["Result"]


@pytest.fixture(scope="module")
def proj(env):
    s = env.session()
    assert s.put(env.url(f"/data/projects/{P}")).status_code in (200, 201)
    r = s.post(env.url("/xapi/users"), json={
        "username": "colsowner", "password": "Pw-cols-owner-1", "firstName": "Ada",
        "lastName": "Lovelace", "email": "ada@example.org"})
    assert r.status_code in (201, 409), r.text
    assert s.put(env.url(f"/data/projects/{P}/users/Owners/colsowner")).ok
    s.put(env.url(f"/data/projects/{P}/subjects/S1"))
    for label, scans in SCANS.items():
        r = s.put(env.url(f"/data/projects/{P}/subjects/S1/experiments/{label}"),
                  params={"xsiType": "xnat:mrSessionData"})
        assert r.status_code in (200, 201), r.text
        for sid, xsi, stype in scans:
            r = s.put(env.url(f"/data/projects/{P}/subjects/S1/experiments/{label}"
                              f"/scans/{sid}"), params={"xsiType": xsi, "type": stype,
                                                        "quality": "usable"})
            assert r.status_code in (200, 201), r.text
    r = s.put(env.url(f"/data/projects/{P}/subjects/S1/experiments/CT1"),
              params={"xsiType": "xnat:ctSessionData"})
    assert r.status_code in (200, 201), r.text
    yield P
    s.delete(env.url(f"/data/projects/{P}?removeFiles=true"))


class TestProjectDisplayFields:
    def test_listed_by_search_elements(self, env, proj):
        ids = {r["FIELD_ID"] for r in get_json(env, "/data/search/elements/xnat:projectData")}
        assert set(PROJECT_FIELDS) <= ids

    def test_counts_and_owners_as_pyxnat_selects_them(self, env, proj):
        rows = select(env, "xnat:projectData",
                      ["xnat:projectData/ID"] + [f"xnat:projectData/{f}"
                                                 for f in PROJECT_FIELDS],
                      [("xnat:projectData/ID", "=", P)])
        assert len(rows) == 1
        row = rows[0]
        assert row["proj_mr_count"] == "2"
        assert row["proj_ct_count"] == "1"
        # none of the type: empty, as XNAT answers (clients skip '' before int())
        assert row["proj_pet_count"] == "" and row["proj_ut_count"] == ""
        assert "Lovelace, Ada<br/>" in row["project_owners"]

        # listing and search fields only: the project's item is as before
        item = env.get(f"/data/projects/{P}?format=json").json()["items"][0]
        assert "proj_mr_count" not in item["data_fields"]

    def test_count_as_a_criterion(self, env, proj):
        """compared as a number: 10 > 2 (as text it would not be)"""
        crit = [("xnat:projectData/ID", "=", P)]
        rows = select(env, "xnat:projectData", ["xnat:projectData/ID"],
                      crit + [("xnat:projectData/PROJ_MR_COUNT", "=", "2")])
        assert [r["id"] for r in rows] == [P]
        assert select(env, "xnat:projectData", ["xnat:projectData/ID"],
                      crit + [("xnat:projectData/PROJ_MR_COUNT", ">=", "10")]) == []
        assert len(select(env, "xnat:projectData", ["xnat:projectData/ID"],
                          crit + [("xnat:projectData/PROJ_MR_COUNT", "<", "10")])) == 1


class TestSubjectDisplayFields:
    COLUMNS = ["PROJECT", "SUBJECT_ID", "INSERT_DATE", "INSERT_USER", "GENDER_TEXT",
               "HANDEDNESS_TEXT", "SES", "ADD_IDS", "RACE", "ETHNICITY", "SUBJECT_LABEL"]

    def test_listed_by_search_elements(self, env, proj):
        ids = {r["FIELD_ID"] for r in get_json(env, "/data/search/elements/xnat:subjectData")}
        assert {"SES", "ADD_IDS"} <= ids

    def test_pyxnat_subject_repr_select(self, env, proj):
        rows = select(env, "xnat:subjectData",
                      [f"xnat:subjectData/{c}" for c in self.COLUMNS],
                      [("xnat:subjectData/PROJECT", "=", P)])
        assert len(rows) == 1
        assert set(rows[0]) == {c.lower() for c in self.COLUMNS}
        assert rows[0]["subject_label"] == "S1" and rows[0]["add_ids"] == "S1"


def scan_rows(env, path, scan_type="xnat:mrScanData", extra=""):
    """pyxnat's ArrayData.scans(): experiments of the type with the scan type's ID."""
    return get_json(env, f"{path}?xsiType=xnat:mrSessionData&columns=ID,project,"
                         f"xnat:mrSessionData/subject_id,{scan_type}/ID{extra}")


class TestScanColumnsInExperimentListings:
    def test_one_row_per_scan_of_the_type(self, env, proj):
        rows = scan_rows(env, "/data/experiments", extra=f"&project={P}")
        got = sorted((r["ID"], r["xnat:mrscandata/id"]) for r in rows)
        ids = {e["label"]: e["ID"] for e in get_json(env, f"/data/projects/{P}/experiments")}
        assert got == sorted([(ids["MR1"], "1"), (ids["MR1"], "2"), (ids["MR2"], "1")])
        assert all(r["project"] == P for r in rows)

    def test_scan_fields_lower_case(self, env, proj):
        rows = scan_rows(env, f"/data/projects/{P}/experiments",
                         extra=",xnat:mrScanData/type,xnat:mrScanData/quality")
        assert sorted(r["xnat:mrscandata/type"] for r in rows) == ["FLAIR", "T1", "T2"]
        assert {r["xnat:mrscandata/quality"] for r in rows} == {"usable"}

    def test_every_scan_by_image_scan_data(self, env, proj):
        rows = scan_rows(env, f"/data/projects/{P}/subjects/S1/experiments",
                         scan_type="xnat:imageScanData", extra=",xnat:imageScanData/type")
        assert sorted(r["xnat:imagescandata/type"] for r in rows) == [
            "FLAIR", "SR", "T1", "T2"]

    def test_csv_as_pyxnat_reads_it(self, env, proj):
        r = env.get(f"/data/projects/{P}/experiments?format=csv&columns=ID,label,"
                    "xnat:mrScanData/ID,xnat:mrScanData/type")
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert sorted((x["label"], x["xnat:mrscandata/id"]) for x in rows) == [
            ("MR1", "1"), ("MR1", "2"), ("MR2", "1")]

    def test_session_and_subject_columns_beside_scans(self, env, proj):
        """array.scans(project_id=P, columns=[session label, scan type, subject label]),
        read by header: 'project', 'subject_label', 'xnat:mrscandata/id',
        'xnat:mrsessiondata/label', 'xnat:mrscandata/type'."""
        rows = scan_rows(env, "/data/experiments", extra=",xnat:mrSessionData/label,"
                         f"xnat:mrScanData/type,xnat:subjectData/label&project={P}")
        got = sorted((r["project"], r["subject_label"], r["xnat:mrsessiondata/label"],
                      r["xnat:mrscandata/id"], r["xnat:mrscandata/type"]) for r in rows)
        assert got == [(P, "S1", "MR1", "1", "T1"), (P, "S1", "MR1", "2", "T2"),
                       (P, "S1", "MR2", "1", "FLAIR")]
        assert all(r["subject_ID"].startswith("XNAT_S") for r in rows)

    def test_scan_filter_applies_to_the_scans(self, env, proj):
        rows = scan_rows(env, f"/data/projects/{P}/experiments",
                         extra=",xnat:mrScanData/type&xnat:mrScanData/type=T2")
        assert [r["xnat:mrscandata/type"] for r in rows] == ["T2"]

    def test_paged_total_counts_scan_rows(self, env, proj):
        r = env.get(f"/data/projects/{P}/experiments?format=json&limit=1&xsiType="
                    "xnat:mrSessionData&columns=ID,xnat:mrScanData/ID")
        rs = r.json()["ResultSet"]
        assert len(rs["Result"]) == 1 and int(rs["totalRecords"]) == 3
