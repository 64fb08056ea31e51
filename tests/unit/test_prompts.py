"""The default prompt set, really spoken by espeak-ng and converted by sox."""

import math
import wave
from array import array

from firmware.engine import numbers, prompts


def test_every_language_gets_every_prompt_as_8khz_mono_speech(tmp_path):
    written = prompts.generate(tmp_path)
    expected = sum(len(prompts.TEXTS[language]) + len(numbers.WORDS[language]) + len(prompts.TONES)
                   for language in prompts.LANGUAGES)
    assert written == expected
    for language in prompts.LANGUAGES:
        # position 23 had no prompt (issue 8, finding 11): its words are spoken in every language
        for name in ("welcome", "queue-first", "position", *prompts.number_prompts(23, language)):
            with wave.open(str(prompts.prompt_path(tmp_path, language, name))) as w:
                assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
                audio = w.readframes(w.getnframes())
                assert w.getnframes() > 2000, f"{language}/{name} is too short to be speech"
                samples = array("h", audio)
                rms = math.sqrt(sum(x * x for x in samples) / len(samples))
                assert rms > 300, f"{language}/{name} is silent"
    assert prompts.generate(tmp_path) == 0      # a second run keeps what is there


def test_a_changed_text_is_spoken_again(tmp_path, monkeypatch):
    prompts.generate(tmp_path)
    monkeypatch.setitem(prompts.TEXTS["sv"], "goodbye", "Adjö.")
    assert prompts.generate(tmp_path) == 1


def test_the_voicemail_beep_is_a_1_khz_tone(tmp_path):
    prompts.generate(tmp_path)
    with wave.open(str(prompts.prompt_path(tmp_path, "de", "tone-beep"))) as w:
        samples = array("h", w.readframes(w.getnframes()))
    assert len(samples) == 3200                                   # 0.4 s at 8 kHz
    crossings = sum(1 for a, b in zip(samples, samples[1:]) if a < 0 <= b)
    assert abs(crossings - 400) <= 2                              # 1000 Hz for 0.4 s
