#!/usr/bin/python3
"""Writes the test files of the header audit (tests/integration/scan_*.sh).

usage: make_scan_fixtures.py OUTDIR

OUTDIR/clean/  files with no identifying text (the scan must report nothing)
OUTDIR/dirty/  files with identifying text planted in every place the scan
               reads; OUTDIR/expected.tsv lists, per planted item, the file,
               a substring of the "where" and the detector that must fire.
OUTDIR/bad/    malformed files (the scan must fail cleanly)

NIfTI files are written with struct (no numpy); DICOM files with pydicom.
All names, dates and addresses are invented.
"""
import gzip
import os
import struct
import sys

import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import (DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian, ExplicitVRLittleEndian,
                         ImplicitVRLittleEndian)

OUT = sys.argv[1]
expected = []


def expect(path, where, detector):
    expected.append((os.path.relpath(path, OUT), where, detector))


# ---------------------------------------------------------------- NIfTI ----

def nifti1(descrip=b"", aux=b"", intent=b"", db_name=b"", extensions=()):
    ext = b""
    for code, data in extensions:
        size = (len(data) + 8 + 15) // 16 * 16
        ext += struct.pack("<ii", size, code) + data + b"\0" * (size - 8 - len(data))
    vox_offset = 352 + len(ext)
    h = bytearray(348)
    struct.pack_into("<i", h, 0, 348)
    h[14:14 + len(db_name)] = db_name
    struct.pack_into("<8h", h, 40, 3, 4, 4, 4, 1, 1, 1, 1)
    struct.pack_into("<hh", h, 70, 2, 8)  # uint8
    struct.pack_into("<8f", h, 76, 1, 1, 1, 1, 1, 1, 1, 1)
    struct.pack_into("<f", h, 108, float(vox_offset))
    struct.pack_into("<f", h, 112, 1.0)
    h[148:148 + len(descrip)] = descrip
    h[228:228 + len(aux)] = aux
    struct.pack_into("<hh", h, 252, 1, 1)  # qform, sform codes
    struct.pack_into("<4f", h, 280, 1, 0, 0, 0)
    struct.pack_into("<4f", h, 296, 0, 1, 0, 0)
    struct.pack_into("<4f", h, 312, 0, 0, 1, 0)
    h[328:328 + len(intent)] = intent
    h[344:348] = b"n+1\0"
    extender = bytes([1 if extensions else 0, 0, 0, 0])
    return bytes(h) + extender + ext + bytes(range(64))


def nifti2(descrip=b""):
    h = bytearray(540)
    struct.pack_into("<i", h, 0, 540)
    h[4:12] = b"n+2\0\r\n\x1a\n"
    struct.pack_into("<hh", h, 12, 2, 8)
    struct.pack_into("<8q", h, 16, 3, 4, 4, 4, 1, 1, 1, 1)
    struct.pack_into("<8d", h, 104, 1, 1, 1, 1, 1, 1, 1, 1)
    struct.pack_into("<q", h, 168, 544)
    struct.pack_into("<d", h, 176, 1.0)
    h[240:240 + len(descrip)] = descrip
    return bytes(h) + b"\0\0\0\0" + bytes(range(64))


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


# ---------------------------------------------------------------- DICOM ----

def base_dataset(ts):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.4"
    meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.3680043.8.498.1"
    meta.TransferSyntaxUID = ts
    meta.ImplementationClassUID = "1.2.826.0.1.3680043.8.498.2"
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.is_little_endian = ts != ExplicitVRBigEndian
    ds.is_implicit_VR = ts == ImplicitVRLittleEndian
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.8.498.3"
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.8.498.4"
    ds.Modality = "MR"
    ds.Manufacturer = "ACME"
    ds.SeriesDescription = "t1_mprage_sag"
    ds.PatientName = ""
    ds.PatientID = ""
    ds.PatientBirthDate = ""
    ds.StudyDate = ""
    ds.EchoTime = "2.52"
    ds.RepetitionTime = "2000"
    ds.Rows = 2
    ds.Columns = 2
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelData = b"\0\1\2\3\4\5\6\7"
    ref = Dataset()
    ref.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.4"
    ref.ReferencedSOPInstanceUID = "1.2.826.0.1.3680043.8.498.5"
    ds.ReferencedImageSequence = Sequence([ref])
    return ds


def save(ds, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    ds.save_as(path, write_like_original=False)


def main():
    clean = os.path.join(OUT, "clean")
    dirty = os.path.join(OUT, "dirty")
    bad = os.path.join(OUT, "bad")

    # clean files: technical text only
    write(f"{clean}/t2w.nii", nifti1(descrip=b"TE=49;Time=0.0;phase=1", intent=b"none"))
    write(f"{clean}/t2w.json", b'{"RepetitionTime": 2.0, "EchoTime": 0.049, "SeriesDescription": "t2_tse_tra",'
          b' "ImageType": ["ORIGINAL", "PRIMARY"], "ConversionSoftware": "dcm2niix",'
          b' "ConversionSoftwareVersion": "v1.0.20220720", "SliceTiming": [0, 1.25, 0.5]}')
    write(f"{clean}/v2.nii.gz", gzip.compress(nifti2(descrip=b"FSL5.0")))
    write(f"{clean}/anon_ext.nii", nifti1(extensions=[(6, b"defaced with faceless 0.1.0; TR=2000 ms")]))
    for name, ts in (("explicit", ExplicitVRLittleEndian), ("implicit", ImplicitVRLittleEndian),
                     ("bigendian", ExplicitVRBigEndian)):
        ds = base_dataset(ts)
        ds.PatientName = "anonymized"
        ds.PatientID = "1449c1d"  # hash-like pseudonym
        save(ds, f"{clean}/{name}.dcm")

    # dirty NIfTI: every text field and every kind of extension
    dcm_ext = Dataset()
    dcm_ext.PatientName = "Doe^Jane"
    dcm_ext.PatientBirthDate = "19870302"
    bio = pydicom.filebase.DicomBytesIO()
    bio.is_little_endian = True
    bio.is_implicit_VR = False
    pydicom.filewriter.write_dataset(bio, dcm_ext)
    afni = (b'<?xml version="1.0" ?>\n<AFNI_attributes ni_form="ni_group">\n<AFNI_atr atr_name="HISTORY_NOTE">\n'
            b'"[jdoe@lab.example.com: Mon Mar  2 10:00:00 1987] 3dcopy /home/jdoe/study/sub01.nii"\n</AFNI_atr>\n'
            b'</AFNI_attributes>\n')
    img = f"{dirty}/sub01.nii"
    write(img, nifti1(descrip=b"Jane Doe DOB 1987-03-02", aux=b"jdoe@hospital.org", intent=b"Doe^Jane",
                      db_name=b"Smith, John",
                      extensions=[(6, b"Scanned at 221B Baker Street, call +44 20 7946 0958"), (4, afni),
                                  (2, bio.getvalue())]))
    expect(img, "nifti:descrip", "birth-date")
    expect(img, "nifti:aux_file", "email")
    expect(img, "nifti:intent_name", "person-name")
    expect(img, "nifti:db_name", "person-name")
    expect(img, "nifti:ext[0] ecode 6", "street-address")
    expect(img, "nifti:ext[0] ecode 6", "phone")
    expect(img, "nifti:ext[1] ecode 4", "email")
    expect(img, "nifti:ext[1] ecode 4", "user-path")
    expect(img, "nifti:ext[2] dicom (0010,0010) PatientName", "annex-e")
    expect(img, "nifti:ext[2] dicom (0010,0030) PatientBirthDate", "birth-date")
    side = f"{dirty}/sub01.json"
    write(side, b'{"PatientName": "Doe^Jane", "PatientBirthDate": "1987-03-02",'
          b' "AcquisitionDateTime": "2013-03-08T08:06:16.162500", "InstitutionName": "General Hospital",'
          b' "EchoTime": 0.049, "Nested": {"Notes": ["ok", "call 555-123-4567"]},'
          b' "Operator": "Dr. Miller", "Contact": "http://www.jane-doe.example.com/home"}')
    expect(side, "json:PatientName", "annex-e")
    expect(side, "json:PatientBirthDate", "birth-date")
    expect(side, "json:AcquisitionDateTime", "annex-e")
    expect(side, "json:InstitutionName", "annex-e")
    expect(side, "json:Nested.Notes[1]", "phone")
    expect(side, "json:Operator", "person-name")
    expect(side, "json:Contact", "url")
    v2 = f"{dirty}/v2.nii.gz"
    write(v2, gzip.compress(nifti2(descrip=b"born 02.03.1987 at 192.168.10.20")))
    expect(v2, "nifti:descrip", "birth-date")
    expect(v2, "nifti:descrip", "ip-address")

    # dirty DICOM: PN values, nested sequences, private tags, text in OB
    ds = base_dataset(ExplicitVRLittleEndian)
    ds.PatientName = "Doe^Jane"
    ds.PatientBirthDate = "19870302"
    ds.StudyDate = "20130308"
    ds.ReferringPhysicianName = "Smith^John"
    inner = Dataset()
    inner.PersonName = "Roe^Richard"
    mid = Dataset()
    mid.ContentSequence = Sequence([inner])
    ds.ContentSequence = Sequence([mid])
    ds.add_new(0x00111010 - 0x1000, "LO", "ACME PRIVATE 1.0")  # (0011,0010) creator
    ds.add_new(0x00111010, "LO", "Patient: Jane Q. Doe")
    ds.add_new(0x00111011, "LO", "Doe^Jane")
    ds.add_new(0x00111012, "OB", b"\x01\x02\x00\x07contact jane.doe@example.org\x00\x09DOB 1987-03-02\x00\xff")
    ds.add_new(0x00091010 - 0x1000, "LO", "ACME UN")
    ds.add_new(0x00091001, "UN", b"\x00\x00born 2 March 1987 in Springfield\x00")
    path = f"{dirty}/explicit.dcm"
    save(ds, path)
    expect(path, "(0010,0010) PatientName", "annex-e")
    expect(path, "(0010,0030) PatientBirthDate", "birth-date")
    expect(path, "(0008,0020) StudyDate", "annex-e")
    expect(path, "(0008,0090) ReferringPhysicianName", "annex-e")
    expect(path, "(0040,A730)[0].(0040,A730)[0].(0040,A123) PersonName", "annex-e")
    expect(path, "(0011,1010) private 'ACME PRIVATE 1.0'", "person-name")
    expect(path, "(0011,1011) private 'ACME PRIVATE 1.0'", "person-name")
    expect(path, "(0011,1012) private 'ACME PRIVATE 1.0'", "email")
    expect(path, "(0011,1012) private 'ACME PRIVATE 1.0'", "birth-date")
    expect(path, "(0009,1001) private 'ACME UN'", "birth-date")
    for name, ts in (("implicit", ImplicitVRLittleEndian), ("bigendian", ExplicitVRBigEndian),
                     ("deflated", DeflatedExplicitVRLittleEndian)):
        ds = base_dataset(ts)
        ds.PatientName = "Roe^Richard"
        ds.OperatorsName = "Miller^Ann"
        ds.InstitutionAddress = "12 Main Street, Springfield"
        path = f"{dirty}/{name}.dcm"
        save(ds, path)
        expect(path, "(0010,0010) PatientName", "annex-e")
        expect(path, "(0008,1070) OperatorsName", "annex-e")
        expect(path, "(0008,0081) InstitutionAddress", "annex-e")

    # malformed
    with open(f"{dirty}/explicit.dcm", "rb") as f:
        whole = f.read()
    write(f"{bad}/truncated.dcm", whole[:len(whole) // 2])
    write(f"{bad}/broken.json", b'{"PatientName": "Doe^Jane", ')
    write(f"{bad}/short.nii", nifti1()[:200])

    with open(os.path.join(OUT, "expected.tsv"), "w") as f:
        for row in expected:
            f.write("\t".join(row) + "\n")


main()
