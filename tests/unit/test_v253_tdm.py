"""A TDM channel's port in a real pjsua bridge (cython_ext.tdmport): audio fed in serial-link bursts
with gaps comes out of the bridge as a steady stream through the jitter buffer, without Python on
the clock (the test holds the GIL while frames keep flowing), and what the bridge says is taken back
at the line's pace."""

from __future__ import annotations

import ctypes
import threading
import time

import numpy as np
import pytest

pj = pytest.importorskip("pjsua2")
tdmport = pytest.importorskip("cython_ext.tdmport", reason="built by `make cython` with the pjproject prefix")
from cython_ext.pjport import connect_slots  # noqa: E402

_libc_with_gil = ctypes.PyDLL(None)


@pytest.fixture(scope="module")
def endpoint():
    from tests.support.pjsua import null_sound_endpoint
    ep = null_sound_endpoint()
    yield ep
    ep.libDestroy()


def tone(samples: int, start: int, frequency: float = 700.0) -> bytes:
    t = np.arange(start, start + samples)
    return (np.sin(2 * np.pi * frequency * t / 8000) * 8000).astype("<i2").tobytes()


def peak(pcm: bytes) -> float:
    samples = np.frombuffer(pcm, dtype="<i2").astype(float)
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    return (np.argmax(spectrum[1:]) + 1) * 8000 / samples.size


def test_bursty_line_audio_reaches_the_bridge_steadily_and_comes_back_at_the_lines_pace(endpoint):
    line, far = tdmport.TdmPort("line"), tdmport.TdmPort("far")
    connect_slots(line.slot, far.slot)          # far hears the line: its ring collects the line's audio
    stop = threading.Event()

    def modem():              # 60 ms bursts, and a 140 ms gap every second (no pjlib call: not registered)
        sent, started = 0, time.monotonic()
        while not stop.is_set():
            now = time.monotonic()
            due = int((now - started) * 8000) - sent
            if due >= 480 and (now - started) % 1.0 > 0.14:
                line.feed(tone(due, sent), now)
                sent += due
            time.sleep(0.06)

    thread = threading.Thread(target=modem)
    thread.start()
    try:
        time.sleep(0.5)
        far.take(100000)                          # what came before the buffer settled
        before = line.stats()["frames_out"]
        _libc_with_gil.usleep(300000)             # the GIL held: the bridge's clock must not wait for it
        assert line.stats()["frames_out"] - before >= 12
        time.sleep(1.2)
        heard = far.take(8000)
    finally:
        stop.set()
        thread.join()
    stats = line.stats()
    assert peak(heard) == pytest.approx(700, abs=15)
    frames = np.frombuffer(heard, dtype="<i2").astype(float).reshape(-1, 160)
    quiet = int((np.sqrt((frames ** 2).mean(axis=1)) < 1000).sum())
    assert quiet <= 3, (quiet, stats)             # gaps covered by the buffer, not heard as silence
    # late frames: those the held GIL kept from the modem thread for 0.3 s, and little else
    assert stats["received"] > 50 and stats["late"] <= 0.15 * stats["received"], stats
    assert len(far.take(10)) == 20
    line.close()
    far.close()
    line.close()                                  # idempotent
