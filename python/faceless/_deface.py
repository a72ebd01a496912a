"""faceless.deface (files) and faceless.deface_array (numpy arrays)."""
import ctypes
import json

from . import _lib

# numpy dtype (native byte order) -> faceless_dtype (faceless.h)
_DTYPES = {"uint8": 0, "int8": 1, "uint16": 2, "int16": 3, "uint32": 4, "int32": 5, "uint64": 6, "int64": 7,
           "float32": 8, "float64": 9}
_NAMES = {v: k for k, v in _DTYPES.items()}


class _Run:
    """A context and options for one call, freed on exit."""

    def __init__(self, options):
        self.ctx = _lib.ctx_new()
        self.opts = _lib.opts_new()
        self._progress = None
        if not self.ctx or not self.opts:
            self.close()
            raise _lib.OutOfMemoryError("out of memory")
        try:
            self._apply(dict(options))
        except BaseException:
            self.close()
            raise

    def _apply(self, options):
        threads = options.pop("threads", None)
        if threads is not None:
            _lib.ctx_set_threads(self.ctx, int(threads))
        progress = options.pop("progress", None)
        if progress is not None:
            # progress(stage, fraction) -> True stops the run (FACELESS_ERR_CANCELLED)
            self._progress = _lib.PROGRESS_FN(lambda user, stage, frac: 1 if progress(stage.decode(), frac) else 0)
            _lib.ctx_set_progress(self.ctx, self._progress, None)
        for name, value in options.items():
            if value is None:
                continue
            values = value if isinstance(value, (list, tuple)) else [value]
            for v in values:
                text = ("1" if v else "0") if isinstance(v, bool) else str(v)
                self.check(_lib.opts_set(self.ctx, self.opts, name.encode(), text.encode()))

    def check(self, status):
        _lib.raise_for(status, self.ctx)

    def close(self):
        if self.opts:
            _lib.opts_free(self.opts)
        if self.ctx:
            _lib.ctx_free(self.ctx)
        self.opts = self.ctx = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _take_report(ptr):
    """The report text the library returned, as a dict; frees it."""
    if not ptr.value:
        return None
    try:
        return json.loads(ctypes.string_at(ptr.value).decode("utf-8"))
    finally:
        _lib.free(ptr.value)


def deface(in_path, out_path=None, **options):
    """De-faces the image at in_path (NIfTI, or a DICOM series folder) into
    out_path (None: in_path's name + _defaced beside it), as
    ``faceless deface in_path -o out_path`` with the same options does, byte
    for byte. Returns the JSON report (docs/report.md) as a dict. Raises a
    faceless.Error subclass on failure (UntrustedError: nothing written)."""
    with _Run(options) as run:
        report = ctypes.c_void_p()
        status = _lib.deface_file(run.ctx, str(in_path).encode(), None if out_path is None else str(out_path).encode(),
                                  run.opts, ctypes.byref(report))
        rep = _take_report(report)
        run.check(status)
        return rep


def _to_volume(run, np, data, affine):
    arr = np.asarray(data)
    if arr.ndim not in (3, 4):
        raise _lib.UsageError("deface_array: data must be 3D or 4D, not %dD" % arr.ndim, 2)
    native = arr.dtype.newbyteorder("=")
    if native.name not in _DTYPES:
        raise _lib.UnsupportedError("deface_array: dtype %s is not supported" % arr.dtype, 4)
    # faceless's layout is nibabel's: i fastest (Fortran order)
    arr = np.asfortranarray(arr, dtype=native)
    aff = np.ascontiguousarray(np.asarray(affine, dtype=np.float64))
    if aff.shape != (4, 4):
        raise _lib.UsageError("deface_array: affine must be 4x4", 2)
    dims = (ctypes.c_int64 * 4)(*(list(arr.shape) + [1])[:4])
    vol = _lib.c_vol()
    run.check(_lib.volume_new(run.ctx, dims, _DTYPES[native.name],
                              aff.ctypes.data_as(ctypes.POINTER(ctypes.c_double)), arr.ctypes.data, ctypes.byref(vol)))
    return vol


def _from_volume(np, vol, ndim):
    dims = (ctypes.c_int64 * 4)()
    _lib.volume_dims(vol, dims)
    dtype = np.dtype(_NAMES[_lib.volume_dtype(vol)])
    shape = tuple(dims[:ndim])
    n = int(np.prod(shape))
    buf = (ctypes.c_char * (n * dtype.itemsize)).from_address(_lib.volume_data(vol))
    # a copy: the volume is freed below
    return np.frombuffer(buf, dtype=dtype, count=n).reshape(shape, order="F").copy()


def deface_array(data, affine, **options):
    """De-faces a volume held in memory: data a 3D or 4D numpy array in
    nibabel's (i, j, k[, t]) order, affine its 4x4 voxel-to-world (RAS mm)
    matrix (img.affine). Returns (defaced, mask, report): the de-faced array
    (same shape and dtype; only voxels under the mask differ), the uint8 mask
    (1 = changed, 3D) and the report dict. No file is read or written, so
    options naming files (mask_out, report_out, ...) are refused."""
    import numpy as np

    with _Run(options) as run:
        vol = _to_volume(run, np, data, affine)
        out, mask = _lib.c_vol(), _lib.c_vol()
        report = ctypes.c_void_p()
        try:
            status = _lib.deface_volume(run.ctx, vol, run.opts, ctypes.byref(out), ctypes.byref(mask),
                                        ctypes.byref(report))
            rep = _take_report(report)
            run.check(status)
            return _from_volume(np, out, np.ndim(data)), _from_volume(np, mask, 3), rep
        finally:
            _lib.volume_free(vol)
            _lib.volume_free(out)
            _lib.volume_free(mask)
