#!/usr/bin/python3
"""Writes a single-file NIfTI-1 copy of IN (.nii or .nii.gz) with identifying
text planted in descrip, aux_file and one comment extension (code 6).

usage: plant_nifti_text.py IN OUT DESCRIP AUX_FILE EXTENSION_TEXT
Voxels and every other header field are kept; vox_offset moves past the
extension. Shared by the header-audit tests (scan_shared_data.sh,
deface_header_audit.sh)."""
import gzip
import struct
import sys

src, dst, descrip, aux, ext = sys.argv[1], sys.argv[2], *(a.encode() for a in sys.argv[3:6])
raw = open(src, "rb").read()
b = bytearray(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)
vox = int(struct.unpack_from("<f", b, 108)[0])
hdr, voxels = b[:348], b[vox:]
hdr[148:228] = descrip[:80].ljust(80, b"\0")
hdr[228:252] = aux[:24].ljust(24, b"\0")
esize = (len(ext) + 8 + 15) // 16 * 16
blob = struct.pack("<ii", esize, 6) + ext.ljust(esize - 8, b"\0")
struct.pack_into("<f", hdr, 108, float(352 + esize))
open(dst, "wb").write(bytes(hdr) + b"\1\0\0\0" + blob + bytes(voxels))
