"""The stereo WAV recorder in plain Python: a bytearray queue instead of the C ring, same file format and sync rules."""

from __future__ import annotations

import os
import struct
import threading
import time

HEADER_BYTES = 44
MAX_DATA = 0xFFFFFFFF - 36


def wav_header(rate: int, channels: int, data_bytes: int) -> bytes:
    data_bytes = min(data_bytes, MAX_DATA)
    return (b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE"
            + b"fmt " + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * channels * 2, channels * 2, 16)
            + b"data" + struct.pack("<I", data_bytes))


class Recorder:
    def __init__(self, path, rate: int = 8000, channels: int = 2, buffer_seconds: float = 4.0,
                 sync_interval: float = 1.0):
        if rate <= 0 or channels not in (1, 2):
            raise ValueError(f"need a positive rate and 1 or 2 channels, got {rate} Hz, {channels}")
        size = 4096
        while size < int(buffer_seconds * rate * channels * 2):
            size <<= 1
        self._size = size
        self._pending = bytearray()
        self._lock = threading.Lock()  # stands in for the C ring's acquire/release ordering
        self.rate, self.channels, self.path = rate, channels, os.fspath(path)
        self.sync_interval = sync_interval
        self.dropped_bytes = 0
        self.data_bytes = 0
        self.header_bytes = 0
        self.closed = False
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        os.write(self._fd, wav_header(rate, channels, 0))
        os.fdatasync(self._fd)
        self._last_sync = time.monotonic()

    @property
    def pending_bytes(self) -> int:
        return len(self._pending)

    def write(self, pcm) -> bool:
        data = bytes(pcm)
        if len(data) % (2 * self.channels):
            raise ValueError(f"PCM must hold whole {self.channels}-channel frames, got {len(data)} bytes")
        if self.closed:
            raise ValueError("recorder is closed")
        with self._lock:
            if len(data) > self._size - len(self._pending):
                self.dropped_bytes += len(data)
                return False
            self._pending += data
        return True

    def drain(self, now=None, sync: bool = False) -> int:
        if self.closed:
            return 0
        with self._lock:
            data, self._pending = bytes(self._pending), bytearray()
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view):]
        self.data_bytes += len(data)
        now = time.monotonic() if now is None else now
        if sync or now - self._last_sync >= self.sync_interval:
            size = min(self.data_bytes, MAX_DATA)
            os.fdatasync(self._fd)  # audio first, then the sizes that claim it
            os.pwrite(self._fd, struct.pack("<I", 36 + size), 4)
            os.pwrite(self._fd, struct.pack("<I", size), 40)
            self.header_bytes = size
            self._last_sync = now
        return len(data)

    def close(self) -> None:
        if self.closed:
            return
        self.drain(sync=True)
        os.fsync(self._fd)
        os.close(self._fd)
        self.closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class RecorderWriter:
    def __init__(self, interval: float = 0.25):
        self.interval = interval
        self._recorders: dict = {}     # recorder -> its lock, held while drained or closed
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.errors: list = []
        self._thread = threading.Thread(target=self._run, name="recorder-writer", daemon=True)
        self._thread.start()

    def add(self, recorder) -> None:
        with self._lock:
            self._recorders[recorder] = threading.Lock()

    def remove(self, recorder) -> None:
        with self._lock:
            busy = self._recorders.pop(recorder, None)
        if busy is None:
            recorder.close()
            return
        with busy:                     # a drain under way finishes first
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
                    rec.drain(now)
            except OSError as exc:
                self.errors.append((rec.path, exc))

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        with self._lock:
            recorders, self._recorders = list(self._recorders), {}
        for rec in recorders:
            rec.close()
