"""Loading libfaceless.so and declaring the functions of faceless.h that the
package calls; the exceptions, one per faceless_status."""
import ctypes
import os

_STATUS_OK = 0


class Error(Exception):
    """A faceless call failed; str(e) is the library's one-line message and
    e.status the faceless_status (the CLI's exit code)."""
    status = 8

    def __init__(self, message, status=None):
        super().__init__(message)
        if status is not None:
            self.status = status


class UsageError(Error, ValueError):
    """An unknown option or a value out of range (status 2)."""
    status = 2


class InputError(Error):
    """Input missing, unreadable or malformed (status 3)."""
    status = 3


class UnsupportedError(Error):
    """Valid input that faceless does not handle (status 4)."""
    status = 4


class OutputError(Error):
    """Output exists, is the input, or cannot be written (status 5)."""
    status = 5


class UntrustedError(Error):
    """Registration or mask failed its trust check; nothing written (status 6)."""
    status = 6


class OutOfMemoryError(Error, MemoryError):
    """Out of memory, or the input would need too much (status 7)."""
    status = 7


class InternalError(Error):
    """A bug in faceless: please report it (status 8)."""
    status = 8


class CancelledError(Error):
    """Stopped by the progress callback (status 9)."""
    status = 9


_BY_STATUS = {c.status: c for c in (UsageError, InputError, UnsupportedError, OutputError, UntrustedError,
                                    OutOfMemoryError, InternalError, CancelledError)}


def _find_library():
    """$FACELESS_LIBRARY (a file), else the libfaceless.so.0 of the prefix this
    package was installed into (PREFIX/lib/python3/dist-packages/faceless/ ->
    PREFIX/lib/), else the system's."""
    env = os.environ.get("FACELESS_LIBRARY")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    prefix_lib = os.path.normpath(os.path.join(here, "..", "..", ".."))
    candidate = os.path.join(prefix_lib, "libfaceless.so.0")
    return candidate if os.path.exists(candidate) else "libfaceless.so.0"


_lib = ctypes.CDLL(_find_library())

c_status = ctypes.c_int
c_ctx = ctypes.c_void_p
c_opts = ctypes.c_void_p
c_vol = ctypes.c_void_p
PROGRESS_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_double)


def _declare(name, restype, *argtypes):
    fn = getattr(_lib, name)
    fn.restype = restype
    fn.argtypes = list(argtypes)
    return fn


status_name = _declare("faceless_status_name", ctypes.c_char_p, c_status)
ctx_new = _declare("faceless_ctx_new", c_ctx)
ctx_free = _declare("faceless_ctx_free", None, c_ctx)
ctx_set_threads = _declare("faceless_ctx_set_threads", None, c_ctx, ctypes.c_int)
ctx_set_progress = _declare("faceless_ctx_set_progress", None, c_ctx, PROGRESS_FN, ctypes.c_void_p)
ctx_error = _declare("faceless_ctx_error", ctypes.c_char_p, c_ctx)
opts_new = _declare("faceless_deface_options_new", c_opts)
opts_free = _declare("faceless_deface_options_free", None, c_opts)
opts_set = _declare("faceless_deface_options_set", c_status, c_ctx, c_opts, ctypes.c_char_p, ctypes.c_char_p)
deface_file = _declare("faceless_deface_file", c_status, c_ctx, ctypes.c_char_p, ctypes.c_char_p, c_opts,
                       ctypes.POINTER(ctypes.c_void_p))
deface_volume = _declare("faceless_deface_volume", c_status, c_ctx, c_vol, c_opts, ctypes.POINTER(c_vol),
                         ctypes.POINTER(c_vol), ctypes.POINTER(ctypes.c_void_p))
free = _declare("faceless_free", None, ctypes.c_void_p)
volume_new = _declare("faceless_volume_new", c_status, c_ctx, ctypes.POINTER(ctypes.c_int64), ctypes.c_int,
                      ctypes.POINTER(ctypes.c_double), ctypes.c_void_p, ctypes.POINTER(c_vol))
volume_free = _declare("faceless_volume_free", None, c_vol)
volume_dims = _declare("faceless_volume_dims", None, c_vol, ctypes.POINTER(ctypes.c_int64))
volume_dtype = _declare("faceless_volume_dtype", ctypes.c_int, c_vol)
volume_data = _declare("faceless_volume_data", ctypes.c_void_p, c_vol)
_version = _declare("faceless_version", ctypes.c_char_p)


def version():
    """The version of the libfaceless.so that was loaded."""
    return _version().decode()


def raise_for(status, ctx):
    """Raises the Error subclass of status with the context's message."""
    if status == _STATUS_OK:
        return
    msg = ctx_error(ctx).decode("utf-8", "replace") if ctx else ""
    if not msg:
        msg = status_name(status).decode()
    raise _BY_STATUS.get(status, Error)(msg, status)
