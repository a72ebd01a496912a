#!/usr/bin/python3
"""Breaks a sequence in a DICOM file, for the broken-sequence tests (issue 9).

usage: break_sequence.py FILE HOW

Adds a ReferencedImageSequence (0008,1140) with one item, saves FILE in
explicit VR little endian with defined lengths (pydicom's default), then
breaks it in place. HOW:
  item_len_past_end   the item's length runs 16 MB past the end of the file
                      (DCMTK then reads the rest of the data set, pixel data
                      included, as part of the item, without an error)
  seq_len_past_end    the sequence's length runs past the end of the file
  seq_len_short       the sequence's length ends inside its item
  item_tag_garbage    the item tag (FFFE,E000) replaced by an attribute tag
"""
import sys

import pydicom
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

path, how = sys.argv[1], sys.argv[2]
ds = pydicom.dcmread(path)
if ds.file_meta.TransferSyntaxUID != pydicom.uid.ExplicitVRLittleEndian:
    sys.exit("break_sequence.py: %s is not explicit VR little endian" % path)
item = Dataset()
item.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.4"
item.ReferencedSOPInstanceUID = "1.2.826.0.1.3680043.10.1.99"
ds.ReferencedImageSequence = Sequence([item])
ds.save_as(path)
b = bytearray(open(path, "rb").read())
i = b.index(b"\x08\x00\x40\x11SQ\x00\x00")  # tag, VR, 2 reserved; length at i+8, first item at i+12
if how == "item_len_past_end":
    b[i + 16:i + 20] = (0x00FFFFF0).to_bytes(4, "little")
elif how == "seq_len_past_end":
    b[i + 8:i + 12] = (0x7FFFFFF0).to_bytes(4, "little")
elif how == "seq_len_short":
    b[i + 8:i + 12] = (10).to_bytes(4, "little")
elif how == "item_tag_garbage":
    b[i + 12:i + 16] = b"\x08\x00\x18\x00"
else:
    sys.exit("break_sequence.py: unknown HOW " + how)
open(path, "wb").write(b)
