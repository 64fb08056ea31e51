"""Stereo WAV recorder that never blocks the tick and survives `kill -9` and power cuts.

The tick side (`ring_write`, or `Recorder.write` from Python) only copies frames into a per-recording
ring buffer. A writer thread drains the rings with one or two write() calls per recording, and every
`sync_interval` seconds fdatasync()s the audio and then rewrites the RIFF and data sizes in the header,
so the file on disk is a valid WAV up to the last sync (a second or so). The engine's start-up repair
(`firmware.engine.wavfix.repair`) then recovers the rest that reached the disk after that sync.
"""

import os
import struct
import threading
import time

from cpython.bytes cimport PyBytes_FromStringAndSize
from libc.stdint cimport int64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy
from posix.unistd cimport close, fdatasync, pwrite, write

cdef extern from *:
    """
    static inline size_t cbx_load_acquire(size_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
    static inline void cbx_store_release(size_t *p, size_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
    """
    size_t cbx_load_acquire(size_t *p) nogil
    void cbx_store_release(size_t *p, size_t v) nogil

HEADER_BYTES = 44
cdef int64_t MAX_DATA = 0xFFFFFFFF - 36


def wav_header(int rate, int channels, int64_t data_bytes) -> bytes:
    """The canonical 44-byte PCM WAV header (16-bit samples)."""
    data_bytes = min(data_bytes, MAX_DATA)
    return (b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE"
            + b"fmt " + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * channels * 2, channels * 2, 16)
            + b"data" + struct.pack("<I", data_bytes))


cdef size_t ring_write(Ring *ring, const void *src, size_t n) noexcept nogil:
    """Producer side (the tick): copies all of `src` or, if the drain fell behind, nothing."""
    cdef size_t head = ring.head
    cdef size_t tail = cbx_load_acquire(&ring.tail)
    cdef size_t at, first
    if ring.data == NULL or n > ring.size - (head - tail):
        ring.dropped += n
        return 0
    at = head & (ring.size - 1)
    first = ring.size - at if n > ring.size - at else n
    memcpy(ring.data + at, src, first)
    if n > first:
        memcpy(ring.data, <const char *>src + first, n - first)
    cbx_store_release(&ring.head, head + n)
    return n


cdef class Recorder:
    """One recording: a ring in memory and a WAV file on disk."""

    def __cinit__(self, path, int rate=8000, int channels=2, double buffer_seconds=4.0,
                  double sync_interval=1.0):
        self.fd = -1
        if rate <= 0 or channels not in (1, 2):
            raise ValueError(f"need a positive rate and 1 or 2 channels, got {rate} Hz, {channels}")
        cdef size_t want = <size_t>(buffer_seconds * rate * channels * 2), size = 4096
        while size < want:
            size <<= 1
        self.ring.data = <char *>malloc(size)
        if self.ring.data == NULL:
            raise MemoryError()
        self.ring.size = size
        self.rate = rate
        self.channels = channels
        self.path = os.fspath(path)
        self.sync_interval = sync_interval
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        header = wav_header(rate, channels, 0)
        os.write(self.fd, header)
        os.fdatasync(self.fd)
        self.last_sync = time.monotonic()

    def __dealloc__(self):
        if self.fd >= 0:
            close(self.fd)
        free(self.ring.data)

    @property
    def dropped_bytes(self) -> int:
        """Audio lost because the writer did not keep up (the ring was full)."""
        return self.ring.dropped

    @property
    def pending_bytes(self) -> int:
        return self.ring.head - self.ring.tail

    @property
    def data_bytes(self) -> int:
        """Audio bytes written to the file so far."""
        return self.data_bytes

    @property
    def header_bytes(self) -> int:
        """Audio bytes the header on disk claims (valid after a crash)."""
        return self.header_bytes

    def write(self, const unsigned char[::1] pcm not None) -> bool:
        """Appends interleaved 16-bit PCM (whole sample frames); False if it was dropped."""
        if pcm.shape[0] % (2 * self.channels):
            raise ValueError(f"PCM must hold whole {self.channels}-channel frames, got {pcm.shape[0]} bytes")
        if self.closed:
            raise ValueError("recorder is closed")
        if pcm.shape[0] == 0:
            return True
        return ring_write(&self.ring, &pcm[0], pcm.shape[0]) != 0

    def drain(self, now=None, bint sync=False) -> int:
        """Writer side: writes what the ring holds; at sync time fdatasync()s and updates the header."""
        if self.closed:
            return 0
        cdef size_t tail = self.ring.tail
        cdef size_t head = cbx_load_acquire(&self.ring.head)
        cdef size_t n = head - tail, at, first
        cdef ssize_t done
        cdef int err = 0
        cdef int64_t written = 0
        if n:
            at = tail & (self.ring.size - 1)
            first = self.ring.size - at if n > self.ring.size - at else n
            with nogil:
                done = self._write_all(self.ring.data + at, first)
                if done == <ssize_t>first and n > first:
                    done += self._write_all(self.ring.data, n - first)
            if done < 0:
                raise OSError(f"writing {self.path} failed")
            written = done
            self.data_bytes += written
            cbx_store_release(&self.ring.tail, tail + <size_t>written)
        now = time.monotonic() if now is None else now
        if sync or now - self.last_sync >= self.sync_interval:
            self._sync()
            self.last_sync = now
        return written

    cdef ssize_t _write_all(self, const char *data, size_t n) noexcept nogil:
        cdef size_t done = 0
        cdef ssize_t r
        while done < n:
            r = write(self.fd, data + done, n - done)
            if r < 0:
                return -1
            done += r
        return done

    cdef int _sync(self) except -1:
        cdef int64_t data = min(self.data_bytes, MAX_DATA)
        cdef int r
        header = struct.pack("<I", 36 + data), struct.pack("<I", data)
        cdef const char *riff = header[0]
        cdef const char *size = header[1]
        with nogil:
            # Audio first, then the sizes that claim it: a power cut never leaves a header
            # pointing past what is on disk.
            r = fdatasync(self.fd)
            if r == 0 and pwrite(self.fd, riff, 4, 4) == 4 and pwrite(self.fd, size, 4, 40) == 4:
                r = 0
            else:
                r = -1
        if r < 0:
            raise OSError(f"syncing {self.path} failed")
        self.header_bytes = data
        return 0

    def close(self) -> None:
        """Writes what is left, a final header, fsyncs and closes the file."""
        if self.closed:
            return
        self.drain(sync=True)
        os.fsync(self.fd)
        os.close(self.fd)
        self.fd = -1
        self.closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class RecorderWriter:
    """The one thread that drains every recording to disk (the tick never touches the disk)."""

    def __init__(self, interval: float = 0.25):
        self.interval = interval
        # recorder -> its lock, held while it is drained or closed: remove() closed a recorder while
        # this thread was still writing it (the write lets the GIL go), and both wrote the same
        # audio, so the file held it twice and the header claimed double (seen in tests/media
        # test_pjport under load; a call's recording the same)
        self._recorders: dict = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.errors: list = []
        self._thread = threading.Thread(target=self._run, name="recorder-writer", daemon=True)
        self._thread.start()

    def add(self, recorder) -> None:
        with self._lock:
            self._recorders[recorder] = threading.Lock()

    def remove(self, recorder) -> None:
        """Stops draining `recorder` and closes it (its last audio and header are written), after a
        drain of it under way has finished."""
        with self._lock:
            busy = self._recorders.pop(recorder, None)
        if busy is None:
            recorder.close()
            return
        with busy:
            recorder.close()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.drain_all()

    def drain_all(self) -> None:
        with self._lock:
            recorders = list(self._recorders.items())
        now = time.monotonic()
        for rec, busy in recorders:
            try:
                with busy:
                    rec.drain(now)     # nothing if remove() closed it meanwhile
            except OSError as exc:  # a full disk must not kill the writer for every other call
                self.errors.append((rec.path, exc))

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        with self._lock:
            recorders, self._recorders = list(self._recorders), {}
        for rec in recorders:
            rec.close()
