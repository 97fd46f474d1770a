"""Hostile or impossible input refused whole: decompression bombs through a resource's
extract=true (the import service's limits), XML that would cost libxml2 quadratic time or
declare entities, and numbers no column should hold (NaN, Infinity, out of range) or NUL
bytes. Each refusal is a 4xx naming the problem, with nothing written: no rows, no files."""

import io
import os
import time
import zipfile

import pytest

from test_rest_http import (OCTET, Api, archive_root, assert_error, counts, files_under,
                            make_zip)
from test_rest_http import api, make_project, project, tree  # noqa: F401 (fixtures)

XML = {"Content-Type": "text/xml"}
NS = ('xmlns:xnat="http://nrg.wustl.edu/xnat" '
      'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"')


def zeros_zip(name, size):
    """One member of `size` zeros, deflated: about a thousandth of its size."""
    bio = io.BytesIO()
    with zipfile.ZipFile(bio, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, bytes(size))
    return bio.getvalue()


def disk(env):
    """Every file under the archive root, temp files included, with its size."""
    top = archive_root(env)
    return {p: os.path.getsize(os.path.join(top, p)) for p in files_under(top)}


class TestExtractLimits:
    def res(self, tree, label="DOCS"):
        return f"/data/projects/{tree.project}/subjects/S1/experiments/E1/resources/{label}"

    def refused(self, env, api, tree, path, body, says):
        before_rows, before_disk = counts(env, tree.project), disk(env)
        r = api.put(path, data=body, headers=OCTET)
        assert_error(r, 413, mentions=(says,))
        assert counts(env, tree.project) == before_rows
        assert disk(env) == before_disk

    def test_a_ratio_bomb_into_an_existing_resource_is_refused(self, env, api, tree):
        api.upload(self.res(tree), "keep.txt", b"kept")
        bomb = zeros_zip("zeros.bin", 50 * 1024 * 1024)
        assert len(bomb) < 100 * 1024
        self.refused(env, api, tree, self.res(tree) + "/files?extract=true&overwrite=true",
                     bomb, "ArcaImportMaxRatio")
        assert set(f["Name"] for f in api.rows(self.res(tree) + "/files")) == {"keep.txt"}

    def test_a_bomb_into_a_new_resource_creates_nothing(self, env, api, tree):
        bomb = zeros_zip("a/zeros.bin", 50 * 1024 * 1024)
        self.refused(env, api, tree, self.res(tree, "NEWBOMB") + "/files?extract=true",
                     bomb, "ArcaImportMaxRatio")
        assert api.get(self.res(tree, "NEWBOMB")).status_code == 404

    def test_a_bomb_after_good_members_leaves_none_of_them(self, env, api, tree):
        bio = io.BytesIO()
        with zipfile.ZipFile(bio, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("first.txt", b"a good file")
            z.writestr("second/zeros.bin", bytes(50 * 1024 * 1024))
        self.refused(env, api, tree, self.res(tree) + "/files?extract=true", bio.getvalue(),
                     "ArcaImportMaxRatio")

    def test_deep_member_names_are_refused(self, env, api, tree):
        deep = "/".join(["d"] * 40) + "/x.txt"
        self.refused(env, api, tree, self.res(tree) + "/files?extract=true",
                     make_zip({"ok.txt": b"fine", deep: b"x"}), "ArcaImportMaxDepth")

    def test_the_expanded_limit_of_the_configuration_applies(self, env, api, tree):
        # random bytes do not compress: the ratio stays near 1, only the size limit counts
        body = make_zip({"a.bin": os.urandom(300 * 1024), "b.bin": os.urandom(300 * 1024)})
        env.httpd.write_snippet("extract-limit", "ArcaImportMaxExpanded 512K\n")
        env.httpd.restart()
        try:
            self.refused(env, api, tree, self.res(tree) + "/files?extract=true", body,
                         "ArcaImportMaxExpanded")
        finally:
            env.httpd.remove_snippet("extract-limit")
            env.httpd.restart()
        r = api.put(self.res(tree) + "/files?extract=true", data=body, headers=OCTET)
        assert r.status_code == 200, r.text


class TestXmlCosts:
    def test_fifty_thousand_attributes_are_refused_quickly(self, env):
        attrs = " ".join(f'a{i}="{i}"' for i in range(50000))
        doc = (f'<xdat:bundle xmlns:xdat="http://nrg.wustl.edu/security" {attrs}>'
               '<xdat:root_element_name>xnat:subjectData</xdat:root_element_name>'
               '</xdat:bundle>')
        api = Api(env)
        t0 = time.monotonic()
        r = api.post("/data/search", params={"format": "json"}, data=doc, headers=XML,
                     timeout=120)
        print(f"\n50,000 attributes ({len(doc)} bytes): {r.status_code} in "
              f"{time.monotonic() - t0:.3f} s")
        assert r.status_code == 400 and "more than 64 attributes" in r.text, r.text

    def test_the_same_in_item_xml(self, api, project):
        attrs = " ".join(f'a{i}="{i}"' for i in range(50000))
        doc = f'<xnat:Subject {NS} label="Many" {attrs}/>'
        r = api.put(f"/data/projects/{project}/subjects/Many", data=doc, headers=XML,
                    timeout=120)
        assert_error(r, 400, mentions=("more than 64 attributes",))
        assert counts(api.env, project)["subjects"] == 0

    def test_item_xml_with_a_doctype_is_refused_and_nothing_stored(self, api, project):
        doc = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "expanded">]>'
               f'<xnat:Subject {NS} label="Ent"><xnat:fields><xnat:field name="note">&e;'
               '</xnat:field></xnat:fields></xnat:Subject>')
        r = api.put(f"/data/projects/{project}/subjects/Ent", data=doc, headers=XML)
        assert_error(r, 400, mentions=("DOCTYPE",))
        assert counts(api.env, project)["subjects"] == 0
        assert api.get(f"/data/projects/{project}/subjects/Ent").status_code == 404


class TestNumbersAndNul:
    @pytest.fixture
    def typed(self, api, tree):
        for name, type_ in [("count", "integer"), ("dose", "float"), ("note", "string")]:
            r = api.put(f"/xapi/projects/{tree.project}/customVariables/subject/{name}",
                        params={"type": type_})
            assert r.status_code == 200, r.text
        return tree

    def subject_row(self, env, t):
        return env.sql(f"SELECT age::text, yob::text, height, weight, fields::text "
                       f"FROM arca_subject WHERE project = '{t.project}'")

    @pytest.mark.parametrize("field,value", [
        ("age", "99999999999"), ("yob", "2147483648"), ("height", "NaN"),
        ("weight", "Infinity"), ("xnat:subjectData/fields/field[name=count]/field",
                                 "99999999999"),
        ("xnat:subjectData/fields/field[name=dose]/field", "NaN"),
        ("xnat:subjectData/fields/field[name=dose]/field", "-Infinity"),
        ("xnat:subjectData/fields/field[name=dose]/field", "1e999"),
    ])
    def test_subject_parameters(self, env, api, typed, field, value):
        before = self.subject_row(env, typed)
        r = api.put(f"/data/projects/{typed.project}/subjects/S1",
                    params={field: value, "gender": "female"})
        name = field.split("[name=")[1].split("]")[0] if "[name=" in field else field
        assert_error(r, 400, mentions=(name, value))
        assert self.subject_row(env, typed) == before

    @pytest.mark.parametrize("path,field,value", [
        ("experiments/E1", "age", "NaN"),
        ("experiments/E1/scans/1", "parameters/tr", "Infinity"),
        ("experiments/E1/scans/1", "parameters/fov/x", "4294967296"),
        ("experiments/E1/scans/1", "frames", "2147483648"),
    ])
    def test_session_and_scan_parameters(self, env, api, tree, path, field, value):
        base = f"/data/projects/{tree.project}/subjects/S1/{path}"
        before = api.get(base, params={"format": "json"}).json()
        r = api.put(base, params={field: value})
        assert_error(r, 400, mentions=(field, value))
        assert api.get(base, params={"format": "json"}).json() == before

    def test_numbers_in_item_xml(self, env, api, typed):
        before = self.subject_row(env, typed)
        for body in ('<xnat:demographics xsi:type="xnat:demographicData"><xnat:height>NaN'
                     '</xnat:height></xnat:demographics>',
                     '<xnat:fields><xnat:field name="dose">Infinity</xnat:field>'
                     '</xnat:fields>',
                     '<xnat:fields><xnat:field name="count">99999999999</xnat:field>'
                     '</xnat:fields>'):
            doc = f'<xnat:Subject {NS} label="S1">{body}</xnat:Subject>'
            r = api.put(f"/data/projects/{typed.project}/subjects/S1", data=doc, headers=XML)
            assert_error(r, 400)
            assert any(n in r.text for n in ("height", "dose", "count")), r.text
            assert self.subject_row(env, typed) == before

    def test_a_nul_in_a_query_parameter_is_refused(self, env, api, typed):
        before = self.subject_row(env, typed)
        r = api.raw("PUT", f"/data/projects/{typed.project}/subjects/S1?"
                    "xnat:subjectData/fields/field%5Bname%3Dnote%5D/field=a%00b&gender=female")
        assert_error(r, 400, mentions=("NUL", "xnat:subjectData/fields/field[name=note]"))
        assert self.subject_row(env, typed) == before

    def test_a_nul_in_item_xml_is_refused(self, env, api, typed):
        before = self.subject_row(env, typed)
        for value in ("a&#0;b", "a\x00b"):
            doc = (f'<xnat:Subject {NS} label="S1"><xnat:fields><xnat:field name="note">'
                   f'{value}</xnat:field></xnat:fields></xnat:Subject>')
            r = api.put(f"/data/projects/{typed.project}/subjects/S1",
                        data=doc.encode(), headers=XML)
            assert_error(r, 400, mentions=("not well-formed",))
            assert self.subject_row(env, typed) == before

    def test_good_numbers_still_pass(self, env, api, typed):
        r = api.put(f"/data/projects/{typed.project}/subjects/S1",
                    params={"age": "42", "height": "171.5", "weight": "70",
                            "xnat:subjectData/fields/field[name=dose]/field": "-2.5e-3",
                            "xnat:subjectData/fields/field[name=count]/field": "-2147483648"})
        assert r.status_code == 200, r.text
        age, _yob, height, weight, fields = self.subject_row(env, typed)[0]
        assert (age, height, weight) == ("42", "171.5", "70")
        assert '"dose": "-2.5e-3"' in fields and '"count": "-2147483648"' in fields
