import struct
import wave

import pytest

from firmware.engine.wavfix import WavError, read_info, repair


def write_wav(path, seconds: float, rate=8000):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x01\x00" * int(rate * seconds))


def break_header(path):
    """What a writer killed before close leaves: sizes of zero in the header."""
    with path.open("r+b") as f:
        f.seek(4)
        f.write(struct.pack("<I", 0))
        f.seek(40)
        f.write(struct.pack("<I", 0))


def test_repair_restores_the_length_from_the_file(tmp_path):
    path = tmp_path / "cut.wav"
    write_wav(path, 3.0)
    break_header(path)
    assert read_info(path).data_bytes == 0
    info = repair(path)
    assert info.duration_seconds == pytest.approx(3.0)
    with wave.open(str(path)) as w:       # the standard library reads it again
        assert w.getnframes() == 24000


def test_repair_drops_a_half_written_sample(tmp_path):
    path = tmp_path / "odd.wav"
    write_wav(path, 1.0)
    with path.open("ab") as f:
        f.write(b"\x07")
    assert repair(path).data_bytes == 16000
    assert path.stat().st_size == 44 + 16000


def test_not_a_wav_is_refused(tmp_path):
    path = tmp_path / "junk.wav"
    path.write_bytes(b"garbage" * 10)
    with pytest.raises(WavError, match="not a RIFF/WAVE"):
        repair(path)
