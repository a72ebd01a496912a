"""faceless: removes or scrambles the face and ears in head MRI and CT while
every brain voxel stays unchanged; Python over libfaceless.so through ctypes
(no compiled extension).

    import faceless
    report = faceless.deface("sub-01_T1w.nii.gz", "sub-01_T1w_defaced.nii.gz", mode="noise")
    defaced, mask, report = faceless.deface_array(img.get_fdata(dtype="float32"), img.affine)

Options are those of ``faceless deface`` with '_' for '-' (brain_margin=7,
min_trust=0.5, template="/path/set", scrub_nifti_text=True, apply_to=[...]),
checked by the library's own parser with the command's ranges. ``threads``
sets the thread count (the result never depends on it) and ``progress`` a
callable (stage, fraction) -> bool, True to stop. Errors raise a subclass of
faceless.Error with the library's one-line message.
"""
from ._lib import (Error, UsageError, InputError, UnsupportedError, OutputError, UntrustedError,
                   OutOfMemoryError, InternalError, CancelledError, version)
from ._deface import deface, deface_array

__all__ = ["deface", "deface_array", "version", "Error", "UsageError", "InputError", "UnsupportedError",
           "OutputError", "UntrustedError", "OutOfMemoryError", "InternalError", "CancelledError"]
__version__ = version()
