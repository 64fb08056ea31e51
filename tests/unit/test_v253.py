"""The V.253 stream's grammar (firmware/cards/v253.py): lines and events in command state, shielded
voice data, the voice formats of three vendors chosen by name, caller ID in its three forms."""

from __future__ import annotations

import pytest

from firmware.cards import v253, voice_formats
from firmware.cards.modem_sim import DIALECTS
from firmware.cards.v253 import Audio, Event, Line, StreamDecoder


def items(decoder: StreamDecoder, *chunks: bytes) -> list:
    return [item for chunk in chunks for item in decoder.feed(chunk)]


def test_command_state_gives_lines_and_dle_events_and_an_lf_after_cr_is_no_line():
    got = items(StreamDecoder(), b"\r\nOK\r\n\x10R\r\nNMBR = 5551234\r\n")
    assert got == [Line("OK"), Event("ring"), Line("NMBR = 5551234")]


def test_voice_data_unshields_dle_pairs_and_ends_at_dle_etx():
    decoder = StreamDecoder()
    decoder.voice = True
    got = items(decoder, b"ab\x10\x10c\x10\x1ad\x105\x10l\x10\x03\r\nOK\r\n")
    audio = b"".join(i.data for i in got if isinstance(i, Audio))
    assert audio == b"ab\x10c\x10\x10d"
    assert [i for i in got if not isinstance(i, Audio)] == \
        [Event("dtmf", "5"), Event("loop-break"), Event("end-of-data"), Line("OK")]
    assert not decoder.voice


def test_a_dle_split_between_two_chunks_is_read_whole():
    decoder = StreamDecoder()
    decoder.voice = True
    got = items(decoder, b"xy\x10", b"\x10z\x10", b"#")
    assert b"".join(i.data for i in got if isinstance(i, Audio)) == b"xy\x10z"
    assert Event("dtmf", "#") in got


def test_an_overlong_line_is_dropped_and_the_next_one_read():
    decoder = StreamDecoder()
    got = items(decoder, b"X" * 5000, b"\r\nOK\r\n")
    assert got == [Line("OK")] and decoder.dropped_lines == 1


def test_shielding_doubles_every_dle_and_the_decoder_undoes_it():
    data = bytes(range(256)) * 3
    decoder = StreamDecoder()
    decoder.voice = True
    assert b"".join(i.data for i in decoder.feed(v253.shield(data))) == data


@pytest.mark.parametrize("name, cml", [("conexant", 4), ("usr", 131), ("rockwell", 132)])
def test_each_vendors_numbering_gives_ulaw_by_name(name, cml):
    formats = [v253.parse_vsm_entry(line) for line in DIALECTS[name].formats]
    assert all(formats)
    chosen = v253.choose_format(formats)
    assert (chosen.cml, chosen.codec) == (cml, "ulaw")


@pytest.mark.parametrize("name, bits, codec", [
    ("G711U", 8, "ulaw"), ("8-BIT ULAW", 8, "ulaw"), ("ULAW", 8, "ulaw"), ("G711A", 8, "alaw"),
    ("8-BIT ALAW", 8, "alaw"), ("16-BIT LINEAR", 16, "slin16"), ("SIGNED PCM", 16, "slin16"),
    ("8-BIT LINEAR", 8, "ulin8"), ("UNSIGNED PCM", 8, "ulin8"), ("SIGNED PCM", 8, "slin8"),
    ("IMA ADPCM", 4, None), ("ADPCM4", 4, None), ("G711U", 4, None), ("CELP", 8, None)])
def test_formats_are_known_by_their_names(name, bits, codec):
    assert v253.codec_of(name, bits) == codec


def test_without_g711_the_best_linear_format_is_chosen_and_none_without_any():
    formats = [v253.parse_vsm_entry('128,"8-BIT LINEAR",8,0,(8000),(0),(0)'),
               v253.parse_vsm_entry('+VSM: 129,"16-BIT LINEAR",16,0,(7200-11025),(0),(0)'),
               v253.parse_vsm_entry('132,"IMA ADPCM",4,0,(8000),(0),(0)')]
    assert v253.choose_format(formats).cml == 129
    assert v253.choose_format([formats[2]]) is None
    assert v253.choose_format([v253.parse_vsm_entry('4,"G711U",8,0,(7200),(0),(0)')]) is None


@pytest.mark.parametrize("text", ['4,"G711U"', '4,G711U,8,0,(8000)', '4,"G711U",8,0,(8000', '"x",1,2,3,4',
                                  '9999,"A",8,0,(8000)', '4,"G711U",8,0,()', ""])
def test_malformed_format_entries_are_none(text):
    assert v253.parse_vsm_entry(text) is None


@pytest.mark.parametrize("line, field", [
    ("NMBR = 0701234567", ("number", "0701234567")), ("NMBR=0701234567", ("number", "0701234567")),
    ("CALLER NUMBER: 0701234567", ("number", "0701234567")), ("NAME = Ann Berg", ("name", "Ann Berg")),
    ("CALLER NAME: ANN", ("name", "ANN")), ("DATE = 1203", ("date", "1203")), ("OK", None), ("RING", None)])
def test_caller_id_in_its_three_forms(line, field):
    assert v253.caller_id_field(line) == field


@pytest.mark.parametrize("value, number", [("0701234567", "0701234567"), ("+46701234567", "+46701234567"),
                                           ("P", "anonymous"), ("O", "anonymous"), ("", "anonymous"),
                                           ("070;DROP", "anonymous"), ("1" * 40, "anonymous")])
def test_caller_numbers_are_kept_only_when_they_are_numbers(value, number):
    assert v253.caller_number(value) == number


@pytest.mark.parametrize("codec", ["ulaw", "alaw", "slin16", "ulin8", "slin8"])
def test_voice_formats_round_trip_within_their_precision(codec):
    import numpy as np
    pcm = (np.sin(np.arange(800) * 0.3) * 12000).astype("<i2").tobytes()
    back = np.frombuffer(voice_formats.decode(codec, voice_formats.encode(codec, pcm)), dtype="<i2")
    error = np.abs(back.astype(int) - np.frombuffer(pcm, dtype="<i2"))
    assert error.max() <= (0 if codec == "slin16" else 512)


def test_the_command_line_offers_every_dialect_of_the_simulator():
    from firmware.cards import sim_cli
    assert sim_cli.DIALECTS == tuple(sorted(DIALECTS))
