"""Stereo recorder: exact content, non-blocking ring, periodic valid header, and a real kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import wave
from array import array
from pathlib import Path

import pytest

from firmware.engine.wavfix import read_info, repair

ROOT = Path(__file__).resolve().parents[2]


def frame(k: int, n: int = 160) -> bytes:
    """Stereo frame k: left k, right -k (mod 16 bits), so position and channel can be checked."""
    v = (k % 30000) + 1
    return array("h", [v, -v] * n).tobytes()


def read_frames(path: Path) -> list[int]:
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getsampwidth()) == (2, 2)
        data = array("h", w.readframes(w.getnframes()))
    return list(data)


def assert_pattern(data: list[int], frames: int) -> None:
    assert len(data) == frames * 320
    for k in range(frames):
        v = (k % 30000) + 1
        assert data[k * 320] == v and data[k * 320 + 319] == -v, f"frame {k} is wrong"


def test_writes_exactly_what_it_was_given(recorder, tmp_path):
    path = tmp_path / "a.wav"
    with recorder.Recorder(path, rate=8000, channels=2) as rec:
        for k in range(100):
            assert rec.write(frame(k))
            if k % 10 == 9:
                rec.drain()
    assert_pattern(read_frames(path), 100)
    assert path.stat().st_size == 44 + 100 * 640


def test_header_is_valid_after_every_sync(recorder, tmp_path):
    path = tmp_path / "b.wav"
    rec = recorder.Recorder(path, rate=8000, channels=2, sync_interval=0.0)
    assert read_info(path).data_bytes == 0  # a valid, empty WAV from the start
    for k in range(30):
        rec.write(frame(k))
        rec.drain()
        assert read_info(path).data_bytes == (k + 1) * 640 == rec.header_bytes
    rec.close()


def test_sync_is_periodic_not_per_drain(recorder, tmp_path):
    path = tmp_path / "c.wav"
    rec = recorder.Recorder(path, rate=8000, channels=2, sync_interval=1.0)
    t0 = time.monotonic()
    rec.write(frame(0))
    rec.drain(now=t0 + 0.1)
    assert rec.data_bytes == 640 and rec.header_bytes == 0
    rec.write(frame(1))
    rec.drain(now=t0 + 1.5)
    assert rec.header_bytes == 1280 == read_info(path).data_bytes
    rec.close()


def test_a_full_ring_drops_whole_frames_instead_of_blocking(recorder, tmp_path):
    rec = recorder.Recorder(tmp_path / "d.wav", rate=8000, channels=2, buffer_seconds=0.0)  # 4 KiB ring
    results = [rec.write(frame(k)) for k in range(10)]
    assert results == [True] * 6 + [False] * 4
    assert rec.dropped_bytes == 4 * 640 and rec.pending_bytes == 6 * 640
    rec.drain()
    assert rec.write(frame(6))
    rec.close()
    assert_pattern(read_frames(tmp_path / "d.wav"), 7)


def test_rejects_partial_frames(recorder, tmp_path):
    rec = recorder.Recorder(tmp_path / "e.wav", rate=8000, channels=2)
    with pytest.raises(ValueError, match="whole 2-channel frames"):
        rec.write(b"\x00" * 6)
    rec.close()
    with pytest.raises(ValueError, match="closed"):
        rec.write(frame(0))


def test_writer_thread_drains_many_recordings(recorder, tmp_path):
    writer = recorder.RecorderWriter(interval=0.01)
    recs = [recorder.Recorder(tmp_path / f"r{i}.wav", rate=16000, channels=2) for i in range(5)]
    for rec in recs:
        writer.add(rec)
    for k in range(50):
        for rec in recs:
            rec.write(frame(k, 320)[:640])  # 160 stereo samples at 16 kHz
    time.sleep(0.1)
    writer.remove(recs[0])
    writer.close()
    for i in range(5):
        with wave.open(str(tmp_path / f"r{i}.wav")) as w:
            assert (w.getframerate(), w.getnframes()) == (16000, 50 * 160)


def test_a_recording_removed_while_the_writer_drains_it_is_written_once(recorder, tmp_path):
    """The writer thread lets the GIL go while it writes; a remove() meanwhile (the engine ending a
    call) closed the recording, which wrote the same pending audio a second time: the file held it
    twice and its header claimed double (a conference test's tap under load). Many rounds, each
    removing while the writer is most likely mid-write."""
    import threading

    data = b"".join(frame(k) for k in range(100))        # 100 frames, 64 kB pending
    for round_ in range(60):
        writer = recorder.RecorderWriter(interval=3600)    # drained here only, on cue
        rec = recorder.Recorder(tmp_path / f"w{round_}.wav", rate=8000, channels=2)
        writer.add(rec)
        rec.write(data)
        draining = threading.Thread(target=writer.drain_all)
        draining.start()
        writer.remove(rec)
        draining.join()
        writer.close()
        path = tmp_path / f"w{round_}.wav"
        assert path.stat().st_size == 44 + len(data), f"round {round_}: {path.stat().st_size - 44} bytes of audio"
        assert_pattern(read_frames(path), 100)


CHILD = r"""
import sys, time
from array import array
from cython_ext import kernel
mod = kernel("recorder", sys.argv[2])
rec = mod.Recorder(sys.argv[1], rate=8000, channels=2, sync_interval=1.0)
writer = mod.RecorderWriter(interval=0.25)
writer.add(rec)
start = time.monotonic()
k = 0
while True:  # real time: one 20 ms frame per tick, as the media clock would
    v = (k % 30000) + 1
    rec.write(array("h", [v, -v] * 160).tobytes())
    k += 1
    print(k, flush=True)
    time.sleep(max(0.0, start + k * 0.02 - time.monotonic()))
"""


def test_kill_9_leaves_a_playable_file_up_to_the_last_second(recorder, tmp_path):
    path = tmp_path / "killed.wav"
    impl = "py" if ".reference." in recorder.__name__ else "c"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path), impl], cwd=ROOT,
                             stdout=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    frames = 0
    try:
        for line in child.stdout:
            frames = int(line)
            if frames >= 125:  # 2.5 s of audio handed to the recorder
                break
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert frames >= 125
    # As the crash left it: a valid WAV whose header is at most ~1.25 s (sync + drain interval) behind.
    with wave.open(str(path)) as w:
        claimed = w.getnframes() // 160
    assert frames - 65 <= claimed <= frames
    assert_pattern(read_frames(path), claimed)
    # The engine's start-up repair recovers what reached the file after the last header update.
    info = repair(path)
    recovered = info.data_bytes // 640
    assert frames - 15 <= recovered <= frames
    assert_pattern(read_frames(path), recovered)
