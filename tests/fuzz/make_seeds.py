#!/usr/bin/python3
"""Writes the seed corpora of tests/fuzz/corpus/<target>/: small valid inputs of each
parser, made here since the tests build their data at run time. Run it again only to change
the seeds (it rewrites the directories); libFuzzer's own finds stay out of the repository."""
import gzip
import io
import os
import shutil
import tarfile
import zipfile

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import (ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian,
                         DeflatedExplicitVRLittleEndian, JPEGBaseline8Bit)

HERE = os.path.dirname(os.path.abspath(__file__))
CT = "1.2.840.10008.5.1.4.1.1.2"
SR = "1.2.840.10008.5.1.4.1.1.88.11"


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


# ---- DICOM ---------------------------------------------------------------------------------
def dataset(sop_class=CT, pixels=True):
    ds = Dataset()
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = "1.2.3.4.5.6.7"
    ds.StudyInstanceUID = "1.2.3.4.5"
    ds.SeriesInstanceUID = "1.2.3.4.5.6"
    ds.Modality = "CT"
    ds.PatientName = "Seed^Patient"
    ds.PatientID = "SEED01"
    ds.StudyDate = "20200102"
    ds.SeriesNumber = 3
    ds.InstanceNumber = 1
    ref = Dataset()
    ref.ReferencedSOPClassUID = CT
    ref.ReferencedSOPInstanceUID = "1.2.3.9"
    ds.ReferencedImageSequence = Sequence([ref])
    ds.add_new(0x00190010, "LO", "SIEMENS MR HEADER")
    ds.add_new(0x0019100F, "DS", "1.5")
    if pixels:
        ds.Rows = ds.Columns = 2
        ds.BitsAllocated = ds.BitsStored = 16
        ds.HighBit = 15
        ds.SamplesPerPixel = 1
        ds.PixelRepresentation = 0
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.PixelData = bytes(range(8))
    return ds


def part10(ds, syntax):
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = syntax
    ds.is_little_endian = syntax != ExplicitVRBigEndian
    ds.is_implicit_VR = syntax == ImplicitVRLittleEndian
    out = io.BytesIO()
    ds.save_as(out, write_like_original=False)
    return out.getvalue()


def bare(ds, implicit):
    ds.is_little_endian, ds.is_implicit_VR = True, implicit
    out = io.BytesIO()
    ds.save_as(out, write_like_original=True)
    return out.getvalue()


def dicom_seeds():
    put("dicom", "explicit_le.dcm", part10(dataset(), ExplicitVRLittleEndian))
    put("dicom", "implicit_le.dcm", part10(dataset(), ImplicitVRLittleEndian))
    put("dicom", "explicit_be.dcm", part10(dataset(), ExplicitVRBigEndian))
    put("dicom", "deflated.dcm", part10(dataset(), DeflatedExplicitVRLittleEndian))
    put("dicom", "sr_no_pixels.dcm", part10(dataset(SR, pixels=False), ExplicitVRLittleEndian))
    enc = dataset()
    # one fragment after an empty basic offset table, as a JPEG would be carried
    item = lambda b: b"\xfe\xff\x00\xe0" + len(b).to_bytes(4, "little") + b
    enc.PixelData = item(b"") + item(b"\xff\xd8\xff\xd9") + b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
    enc["PixelData"].VR = "OB"
    enc["PixelData"].is_undefined_length = True
    put("dicom", "encapsulated.dcm", part10(enc, JPEGBaseline8Bit))
    put("dicom", "bare_implicit.dcm", bare(dataset(), True))
    put("dicom", "bare_explicit.dcm", bare(dataset(pixels=False), False))


# ---- DicomEdit scripts ----------------------------------------------------------------------
DEID = {
    "site_profile.das": '''version "6.1"
(0010,0010) := subject
(0010,0020) := session
(0010,0030) := ""
-(0010,1040)
-*/(0010,1002)
(0020,000D) := hashUID[(0020,000D)]
removeAllPrivateTags
(0012,0062) := "YES"
(0012,0063) := "Site DicomEdit profile v1"
''',
    "conditions.das": '''version "6.3"
// dates shifted, a private block kept, conditional edits
(0008,0020) := shiftDateByIncrement[(0008,0020), "-30"]
(0008,002A) ?= shiftDateTimeByIncrement[(0008,002A), "-2592000"]
retainPrivateTags["(0029,{SIEMENS CSA HEADER}XX)"]
(0008,0060) = "MR" ? (0008,103E) := format["{0}_{1}", project, lowercase[modalityLabel]]
(0010,0010) !~ "^SUBJ[0-9]+$" ? (0010,0010) := subject
''',
    "paths.das": '''version "6.1"
(0008,1140)[1]/(0008,1155) := "1.2.3"
*/(0008,1155) := hashUID[*/(0008,1155)]
(0008,1030) := (0008,1140)/(0008,1155)
-(50X@,XXXX)
-(0009,{GEMS_IDEN_01}0X)
-(0008,1115)[0]
''',
    "functions.das": '''version 6.3
x := substring[(0010,0010), 0, 3]
y := concatenate[x, "-", uppercase[(0010,0020)]]
(0010,0020) := replace[y, "a", "b"]
(0010,0030) := blankValues[(0010,0030)]
(0020,0010) := newUID[]
r := "^(A|B)+$"
(0010,0010) ~ r ? -(0010,0010)
echo["done"]
''',
}


# ---- search XML and JSON ------------------------------------------------------------------
XDAT = 'xmlns:xdat="http://nrg.wustl.edu/security"'


def crit(field, op, value):
    return (f"<xdat:criteria><xdat:schema_field>{field}</xdat:schema_field>"
            f"<xdat:comparison_type>{op}</xdat:comparison_type><xdat:value>{value}</xdat:value>"
            "</xdat:criteria>")


def sfield(element, fid):
    return (f"<xdat:search_field><xdat:element_name>{element}</xdat:element_name>"
            f"<xdat:field_ID>{fid}</xdat:field_ID><xdat:sequence>0</xdat:sequence>"
            "</xdat:search_field>")


def bundle(root, fields, method, where, tag="xdat:bundle", extra=""):
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<{tag} {XDAT} ID="@{root}">'
            f"<xdat:root_element_name>{root}</xdat:root_element_name>{fields}"
            f'<xdat:search_where method="{method}">{where}</xdat:search_where>{extra}</{tag}>')


SEARCH_XML = {
    "subjects.xml": bundle("xnat:subjectData",
                           sfield("xnat:subjectData", "SUBJECT_LABEL")
                           + sfield("xnat:subjectData", "GENDER_TEXT"),
                           "AND", crit("xnat:subjectData/PROJECT", "=", "P1")
                           + crit("xnat:subjectData/fields/field[name=kvp]/field", ">", "100")),
    "sessions_or.xml": bundle("xnat:mrSessionData",
                              sfield("xnat:mrSessionData", "xnat:mrSessionData/ID")
                              + sfield("xnat:subjectData", "SUBJECT_LABEL"),
                              "OR", crit("xnat:mrSessionData/DATE", ">=", "01/02/2020")
                              + '<xdat:child_set method="AND">'
                              + crit("xnat:mrSessionData/SCANNER", " LIKE ", "%Prisma*")
                              + crit("xnat:mrSessionData/LABEL", "IN", "'A','B',C")
                              + "</xdat:child_set>"),
    "scans.xml": bundle("xnat:imageScanData", "", "AND",
                        crit("xnat:imageScanData/SERIES_DESCRIPTION", "IS NOT NULL", "")
                        + crit("xnat:ctSessionData/PROJECT", "NOT IN", "X,Y")),
    "stored.xml": bundle("xnat:projectData", sfield("xnat:projectData", "PROJ_MR_COUNT"),
                         "AND", crit("xnat:projectData/ID", "!=", "Q"),
                         tag="xdat:stored_search",
                         extra="<xdat:allowed_user><xdat:login>ann</xdat:login>"
                               "</xdat:allowed_user>"),
}

SEARCH_JSON = {
    "sessions.json": '''{"root": "xnat:ctSessionData",
 "columns": ["xnat:ctSessionData/LABEL", "xnat:subjectData/fields/field[name=kvp]/field"],
 "where": {"and": [{"field": "xnat:ctSessionData/SCANNER", "op": "=", "value": "A"},
   {"or": [{"field": "xnat:ctSessionData/DATE", "op": ">=", "value": "2020-01-01"},
           {"field": "xnat:ctSessionData/LABEL", "op": "IN", "value": ["x", "y"]}]}]},
 "sort": {"field": "xnat:ctSessionData/DATE", "order": "desc"},
 "limit": 100, "offset": 0}''',
    "subjects.json": '''{"root": "xnat:subjectData", "where": {"or": [
 {"field": "xnat:subjectData/demographics[@xsi:type=xnat:demographicData]/gender",
  "value": "female"},
 {"field": "XNAT_SUBJECTDATA_FIELD_MAP=kvp", "op": "<", "value": 120},
 {"field": "xnat:subjectData/SUBJECT_LABEL", "op": "NOT LIKE", "value": "t\\\\_%"},
 {"field": "xnat:subjectData/YOB", "op": "IS NULL"}]}}''',
    "projects.json": '{"root": "xnat:projectData", "columns": ["xnat:projectData/ID"], '
                     '"where": {"and": [{"field": "xnat:projectData/PROJ_CT_COUNT", '
                     '"op": ">", "value": 2}]}, "limit": 5}',
}

# ---- item XML -------------------------------------------------------------------------------
XNAT = 'xmlns:xnat="http://nrg.wustl.edu/xnat"'
XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
ITEM_XML = {
    "project.xml": f'''<xnat:Project {XNAT} ID="P1" secondary_ID="p one">
<xnat:name>P1</xnat:name><xnat:description>seed</xnat:description>
<xnat:PI><xnat:firstname>Ann</xnat:firstname><xnat:lastname>Lee</xnat:lastname></xnat:PI>
<xnat:aliases><xnat:alias source="web">A1</xnat:alias><xnat:alias>A2</xnat:alias></xnat:aliases>
<xnat:studyProtocol ID="P1_xnat_subjectData" data-type="xnat:subjectData" name="Subjects">
<xnat:definitions><xnat:definition ID="default" data-type="xnat:subjectData" project-specific="false">
<xnat:fields><xnat:field name="kvp" datatype="integer" type="custom" required="0"/>
</xnat:fields></xnat:definition></xnat:definitions></xnat:studyProtocol></xnat:Project>''',
    "subject.xml": f'''<xnat:Subject {XNAT} {XSI} label="S1" project="P1">
<xnat:investigator xsi:type="xnat:investigatorData"><xnat:firstname>ann</xnat:firstname>
<xnat:lastname>lee</xnat:lastname></xnat:investigator>
<xnat:demographics xsi:type="xnat:demographicData"><xnat:gender>female</xnat:gender>
<xnat:age>51</xnat:age></xnat:demographics>
<xnat:fields><xnat:field name="kvp">120</xnat:field></xnat:fields></xnat:Subject>''',
    "session.xml": f'''<xnat:MRSession {XNAT} project="P1" label="E2">
<xnat:date>2021-03-04</xnat:date><xnat:scanner manufacturer="X">Prisma</xnat:scanner>
</xnat:MRSession>''',
    "scan.xml": f'''<xnat:MRScan {XNAT} ID="1" type="T1">
<xnat:parameters><xnat:voxelRes x="1.0" y="1.0" z="1.2"/><xnat:tr>2300</xnat:tr>
<xnat:addParam name="EchoTrainLength">4</xnat:addParam></xnat:parameters></xnat:MRScan>''',
    "provenance.xml": f'''<xnat:QCAssessment {XNAT} xmlns:prov="http://www.nbirn.net/prov"
 {XSI} xsi:type="xnat:qcAssessmentData" label="Q1"><xnat:provenance>
<prov:processStep><prov:program version="1.2" arguments="-v">young</prov:program>
<prov:timestamp>2011-03-01T12:01:01</prov:timestamp><prov:user>angus</prov:user>
<prov:platform version="5.10">linux</prov:platform></prov:processStep>
</xnat:provenance></xnat:QCAssessment>''',
}

# ---- multipart: first line the Content-Type, then the body ---------------------------------
def form(boundary, parts, ctype=None):
    body = "".join(f"--{boundary}\r\n{head}\r\n\r\n{data}\r\n" for head, data in parts)
    return (f"{ctype or 'multipart/form-data; boundary=' + boundary}\n"
            + body + f"--{boundary}--\r\n")


MULTIPART = {
    "one_file": form("XyZ", [('Content-Disposition: form-data; name="file"; filename="a.dcm"'
                              '\r\nContent-Type: application/dicom', "DICM\x00\x01data")]),
    "fields": form("b0und", [('Content-Disposition: form-data; name="project"', "P1"),
                             ('Content-Disposition: form-data; name="f"; filename="C:\\x\\b.zip"',
                              "PK\x03\x04--b0un")],
                   ctype='multipart/form-data; charset=utf-8; boundary="b0und"'),
    "preamble": "multipart/form-data; boundary=----WebKitFormBoundary7MA4\n"
                "ignored preamble\r\n" + form("----WebKitFormBoundary7MA4", [
                    ('content-disposition: form-data; name=x', "")]).split("\n", 1)[1],
}


# ---- archives ---------------------------------------------------------------------------------
def archives():
    files = [("a.dcm", b"DICM" + bytes(60)), ("dir/b.txt", b"hello\n" * 4)]
    for name, comp in (("stored.zip", zipfile.ZIP_STORED), ("deflated.zip", zipfile.ZIP_DEFLATED)):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", comp) as z:
            z.writestr("dir/", b"")
            for n, d in files:
                z.writestr(n, d)
        put("archive", name, out.getvalue())
    for name, mode in (("plain.tar", "w"), ("gzip.tgz", "w:gz")):
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode=mode, format=tarfile.USTAR_FORMAT) as t:
            for n, d in files:
                info = tarfile.TarInfo("./" + n)
                info.size = len(d)
                t.addfile(info, io.BytesIO(d))
            link = tarfile.TarInfo("link")
            link.type = tarfile.SYMTYPE
            link.linkname = "a.dcm"
            t.addfile(link)
        put("archive", name, out.getvalue())


def main():
    for target in ("dicom", "deid", "search_xml", "search_json", "item_xml", "multipart",
                   "archive"):
        shutil.rmtree(os.path.join(HERE, "corpus", target), ignore_errors=True)
    dicom_seeds()
    for table, target in ((DEID, "deid"), (SEARCH_XML, "search_xml"),
                          (SEARCH_JSON, "search_json"), (ITEM_XML, "item_xml"),
                          (MULTIPART, "multipart")):
        for name, text in table.items():
            put(target, name, text)
    archives()


if __name__ == "__main__":
    main()
