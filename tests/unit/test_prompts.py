"""The default prompt set, really spoken by espeak-ng and converted by sox."""

import math
import wave
from array import array

from firmware.engine import prompts


def test_every_language_gets_every_prompt_as_8khz_mono_speech(tmp_path):
    written = prompts.generate(tmp_path)
    expected = sum(len(t) + len(prompts.NUMBERS) for t in prompts.TEXTS.values())
    assert written == expected
    for language in prompts.LANGUAGES:
        for name in ("welcome", "queue-first", "position", prompts.number_prompt(7)):
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
