"""Fast screen capture for the guest: XShmGetImage through ctypes.

python-xlib reads a full-screen image through its pure-Python protocol code
(about 20 ms at 1280x800); the MIT-SHM extension lets the X server write the
pixels straight into shared memory (about half that, most of it the copy).
Only libX11/libXext from the image and the C library are used, so nothing is
compiled.  ``ShmGrabber`` raises OSError when shared memory is unavailable;
the caller then falls back to plain XGetImage.
"""

from __future__ import annotations

import ctypes
import threading

from PIL import Image

IPC_PRIVATE, IPC_CREAT, IPC_RMID, ZPIXMAP, ALL_PLANES = 0, 0o1000, 0, 2, 0xFFFFFFFF


class _XImage(ctypes.Structure):
    _fields_ = [("width", ctypes.c_int), ("height", ctypes.c_int), ("xoffset", ctypes.c_int),
                ("format", ctypes.c_int), ("data", ctypes.c_void_p), ("byte_order", ctypes.c_int),
                ("bitmap_unit", ctypes.c_int), ("bitmap_bit_order", ctypes.c_int), ("bitmap_pad", ctypes.c_int),
                ("depth", ctypes.c_int), ("bytes_per_line", ctypes.c_int), ("bits_per_pixel", ctypes.c_int)]


class _ShmInfo(ctypes.Structure):
    _fields_ = [("shmseg", ctypes.c_ulong), ("shmid", ctypes.c_int), ("shmaddr", ctypes.c_void_p),
                ("readOnly", ctypes.c_int)]


def _libs() -> tuple[ctypes.CDLL, ctypes.CDLL, ctypes.CDLL]:
    x11 = ctypes.CDLL("libX11.so.6")
    xext = ctypes.CDLL("libXext.so.6")
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XDefaultRootWindow.restype = ctypes.c_ulong
    x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    x11.XDefaultVisual.restype = ctypes.c_void_p
    x11.XDefaultVisual.argtypes = [ctypes.c_void_p, ctypes.c_int]
    x11.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
    x11.XGetImage.restype = ctypes.POINTER(_XImage)
    x11.XGetImage.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_int, ctypes.c_uint,
                              ctypes.c_uint, ctypes.c_ulong, ctypes.c_int]
    x11.XFree.argtypes = [ctypes.c_void_p]
    xext.XShmQueryExtension.argtypes = [ctypes.c_void_p]
    xext.XShmCreateImage.restype = ctypes.POINTER(_XImage)
    xext.XShmCreateImage.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_void_p,
                                     ctypes.POINTER(_ShmInfo), ctypes.c_uint, ctypes.c_uint]
    xext.XShmAttach.argtypes = [ctypes.c_void_p, ctypes.POINTER(_ShmInfo)]
    xext.XShmGetImage.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(_XImage), ctypes.c_int,
                                  ctypes.c_int, ctypes.c_ulong]
    libc.shmget.argtypes = [ctypes.c_int, ctypes.c_size_t, ctypes.c_int]
    libc.shmat.restype = ctypes.c_void_p
    libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
    libc.shmctl.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_void_p]
    return x11, xext, libc


_IO_ERROR = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)
_IO_EXIT = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)


class Grabber:
    """Whole-screen RGB captures on a private X connection (one capture at a time).

    libX11 ends the whole process when its connection breaks (the X server
    killed by the desktop user, say); the guest must outlive its desktop to
    score it, so the connection's IO error handlers only mark it lost, and
    every later capture fails with an OSError instead.
    """

    def __init__(self, display_name: str, width: int, height: int) -> None:
        self.x11, self.xext, self.libc = _libs()
        self.lost = False
        self._on_io_error = _IO_ERROR(self._io_error)  # kept: libX11 holds only the pointer
        self._on_io_exit = _IO_EXIT(self._io_exit)
        self.x11.XSetIOErrorHandler(self._on_io_error)
        self.disp = self.x11.XOpenDisplay(display_name.encode())
        if not self.disp:
            raise OSError(f"cannot open display {display_name}")
        if hasattr(self.x11, "XSetIOErrorExitHandler"):  # libX11 1.7+: the exit that follows may return
            self.x11.XSetIOErrorExitHandler(self.disp, self._on_io_exit, None)
        self.root = self.x11.XDefaultRootWindow(self.disp)
        self.width, self.height = width, height
        self.lock = threading.Lock()
        self.shm: tuple[ctypes._Pointer[_XImage], _ShmInfo, int] | None = None
        try:
            self.shm = self._attach_shm()
        except OSError:
            self.shm = None  # plain XGetImage still works

    def _attach_shm(self) -> tuple[ctypes._Pointer[_XImage], _ShmInfo, int]:
        if not self.xext.XShmQueryExtension(self.disp):
            raise OSError("MIT-SHM not available")
        info = _ShmInfo()
        image = self.xext.XShmCreateImage(self.disp, self.x11.XDefaultVisual(self.disp, 0), 24, ZPIXMAP, None,
                                          ctypes.byref(info), self.width, self.height)
        if not image:
            raise OSError("XShmCreateImage failed")
        size = image.contents.bytes_per_line * image.contents.height
        info.shmid = self.libc.shmget(IPC_PRIVATE, size, IPC_CREAT | 0o660)  # the X server (the desktop user, in the guest group) writes it
        if info.shmid < 0:
            raise OSError(ctypes.get_errno(), "shmget failed")
        addr = self.libc.shmat(info.shmid, None, 0)
        if addr in (None, ctypes.c_void_p(-1).value):
            raise OSError(ctypes.get_errno(), "shmat failed")
        info.shmaddr = addr
        image.contents.data = addr
        info.readOnly = 0
        if not self.xext.XShmAttach(self.disp, ctypes.byref(info)):
            raise OSError("XShmAttach failed")
        self.x11.XSync(self.disp, 0)
        self.libc.shmctl(info.shmid, IPC_RMID, None)  # freed once both sides detach
        return image, info, size

    def _io_error(self, _display: int) -> int:
        self.lost = True
        return 0

    def _io_exit(self, _display: int, _data: int) -> None:
        self.lost = True

    def grab(self) -> Image.Image:
        with self.lock:
            if self.lost:
                raise OSError("the X display is gone")
            if self.shm is not None:
                image, info, size = self.shm
                if not self.xext.XShmGetImage(self.disp, self.root, image, 0, 0, ALL_PLANES):
                    raise OSError("XShmGetImage failed")
                buf = ctypes.string_at(info.shmaddr, size)
                stride = image.contents.bytes_per_line
                return Image.frombuffer("RGB", (self.width, self.height), buf, "raw", "BGRX", stride, 1)
            ximage = self.x11.XGetImage(self.disp, self.root, 0, 0, self.width, self.height, ALL_PLANES, ZPIXMAP)
            if not ximage:
                raise OSError("XGetImage failed")
            try:
                c = ximage.contents
                data = ctypes.string_at(c.data, c.bytes_per_line * c.height)
                stride = c.bytes_per_line
            finally:
                self.x11.XFree(ximage.contents.data)
                self.x11.XFree(ximage)
            return Image.frombuffer("RGB", (self.width, self.height), data, "raw", "BGRX", stride, 1)
