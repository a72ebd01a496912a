#!/usr/bin/python3
"""Series of several volumes from a single-volume classic series (issue 18).

usage: make_dicom_volumes.py KIND N IN_DIR OUT_DIR

KIND:
  time          N volumes, classic files: TemporalPositionIdentifier 1..N
  echo          N echoes, classic files: EchoNumbers 1..N, EchoTime rising
  enhanced-time one Enhanced MR file of N volumes (FrameContentSequence
                TemporalPositionIndex), frames in volume order
  enhanced-echo one Enhanced MR file of N echoes (MREchoSequence
                EffectiveEchoTime), frames in slice order (echoes inside)
  enhanced-rescale  one Enhanced MR file of N volumes as enhanced-time,
                every frame with its own RescaleSlope and RescaleIntercept
                (0.5 + 0.25 f and 5 f - 20 for frame f)

Volume t stores the input's values times (1 - 0.15 t) plus 5 t, so no two
volumes are alike and a frame written back into the wrong volume shows.
Classic outputs are named v{N-1-t}_NAME: the name order is not the volume
order. dcm2niix stacks the enhanced frames as one volume of N x slices
(its own ordering rules); the tests compare its output before and after. The enhanced file is the minimum the faceless reader and
dcm2niix need (shared and per-frame functional groups), not a full IOD.
IN_DIR: single-frame files, 16-bit, uncompressed. pydicom, no numpy.
"""
import array
import copy
import os
import sys

import pydicom
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

ENHANCED_MR = "1.2.840.10008.5.1.4.1.1.4.1"
UID_ROOT = "1.2.826.0.1.3680043.10.543."  # a test root: every UID made here


TABLES = {}


def table(signed, bits, t):
    """Volume t's value of each stored value (a list indexed by value - lo)."""
    key = (signed, bits, t)
    if key not in TABLES:
        lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
        TABLES[key] = (lo, [min(hi, max(lo, int(round(x * (1 - 0.15 * t) + 5 * t)))) for x in range(lo, 1 << 16)])
    return TABLES[key]


def pixels(ds, t):
    """Volume t's stored values of ds, as bytes in ds's byte order."""
    if t == 0:
        return ds.PixelData
    signed = ds.PixelRepresentation == 1
    a = array.array("h" if signed else "H")
    a.frombytes(ds.PixelData)
    swap = not ds.is_little_endian
    if swap:
        a.byteswap()
    lo, tab = table(signed, ds.BitsStored, t)
    b = array.array(a.typecode, [tab[x - lo] for x in a])
    if swap:
        b.byteswap()
    return b.tobytes()


def read_series(d):
    files = []
    for name in sorted(os.listdir(d)):
        ds = pydicom.dcmread(os.path.join(d, name))
        if "PixelData" in ds:
            files.append((name, ds))
    # by position along the normal, so "slice k" means the same everywhere
    iop = [float(x) for x in files[0][1].ImageOrientationPatient]
    n = (iop[1] * iop[5] - iop[2] * iop[4], iop[2] * iop[3] - iop[0] * iop[5], iop[0] * iop[4] - iop[1] * iop[3])
    files.sort(key=lambda f: sum(float(p) * q for p, q in zip(f[1].ImagePositionPatient, n)))
    return files


def classic(kind, nvol, files, out):
    nz = len(files)
    for t in range(nvol):
        for k, (name, ds) in enumerate(files):
            o = copy.deepcopy(ds)
            o.SOPInstanceUID = UID_ROOT + "%d.%d" % (t + 1, k + 1)
            o.file_meta.MediaStorageSOPInstanceUID = o.SOPInstanceUID
            o.InstanceNumber = t * nz + k + 1
            if kind == "time":
                o.TemporalPositionIdentifier = t + 1
                o.NumberOfTemporalPositions = nvol
            else:
                o.EchoNumbers = t + 1
                o.EchoTime = 10.0 * (t + 1)
            o.PixelData = pixels(ds, t)
            # names in reverse volume order (and the input's shuffled slice order)
            o.save_as(os.path.join(out, "v%d_%s" % (nvol - 1 - t, name)), write_like_original=True)


def enhanced(kind, nvol, files, out, rescale=False):
    first = files[0][1]
    e = copy.deepcopy(first)
    for kw in ("ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing", "SliceLocation",
               "RescaleSlope", "RescaleIntercept", "RescaleType", "EchoNumbers", "EchoTime", "InstanceNumber"):
        if kw in e:
            delattr(e, kw)
    e.SOPClassUID = ENHANCED_MR
    e.file_meta.MediaStorageSOPClassUID = ENHANCED_MR
    e.SOPInstanceUID = UID_ROOT + "9.1"
    e.file_meta.MediaStorageSOPInstanceUID = e.SOPInstanceUID
    e.InstanceNumber = 1
    e.ImageType = ["ORIGINAL", "PRIMARY", "M", "NONE"]
    shared = Dataset()
    pm = Dataset()
    pm.PixelSpacing = first.PixelSpacing
    pm.SliceThickness = first.get("SliceThickness", 1)
    shared.PixelMeasuresSequence = Sequence([pm])
    po = Dataset()
    po.ImageOrientationPatient = first.ImageOrientationPatient
    shared.PlaneOrientationSequence = Sequence([po])
    e.SharedFunctionalGroupsSequence = Sequence([shared])
    order = [(t, k) for t in range(nvol) for k in range(len(files))]
    if kind == "echo":  # slice-major, as some scanners write echoes
        order = [(t, k) for k in range(len(files)) for t in range(nvol)]
    per, data = [], []
    for t, k in order:
        ds = files[k][1]
        g = Dataset()
        pp = Dataset()
        pp.ImagePositionPatient = ds.ImagePositionPatient
        g.PlanePositionSequence = Sequence([pp])
        fc = Dataset()
        fc.DimensionIndexValues = [t + 1, k + 1]
        fc.StackID = "1"
        fc.InStackPositionNumber = k + 1
        if kind == "time":
            fc.TemporalPositionIndex = t + 1
        g.FrameContentSequence = Sequence([fc])
        if kind == "echo":
            me = Dataset()
            me.EffectiveEchoTime = 10.0 * (t + 1)
            g.MREchoSequence = Sequence([me])
        pv = Dataset()
        pv.RescaleSlope = ds.get("RescaleSlope", 1)
        pv.RescaleIntercept = ds.get("RescaleIntercept", 0)
        if rescale:
            f = len(per)
            pv.RescaleSlope = "%g" % (0.5 + 0.25 * f)
            pv.RescaleIntercept = "%d" % (5 * f - 20)
        pv.RescaleType = "US"
        g.PixelValueTransformationSequence = Sequence([pv])
        per.append(g)
        data.append(pixels(ds, t))
    e.PerFrameFunctionalGroupsSequence = Sequence(per)
    e.NumberOfFrames = len(order)
    e.PixelData = b"".join(data)
    e.save_as(os.path.join(out, "enhanced.dcm"), write_like_original=True)


def main():
    kind, nvol, src, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    os.makedirs(out, exist_ok=True)
    files = read_series(src)
    if kind in ("time", "echo"):
        classic(kind, nvol, files, out)
    elif kind in ("enhanced-time", "enhanced-echo"):
        enhanced(kind.split("-")[1], nvol, files, out)
    elif kind == "enhanced-rescale":
        enhanced("time", nvol, files, out, rescale=True)
    else:
        sys.exit("unknown kind " + kind)


main()
