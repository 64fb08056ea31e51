"""The default prompt set rendered: the catalogue's texts (firmware/prompts/catalogue.py) spoken by
espeak-ng in each language, converted by sox to 8 kHz mono WAV; and where the engine finds them."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from firmware.engine import numbers
from firmware.prompts.catalogue import LANGUAGES, TEXTS

__all__ = ["LANGUAGES", "TEXTS", "PLAYLIST_END", "TONES", "generate", "number_prompts", "prompt_path"]

# The espeak-ng voice that speaks each prompt language.
VOICES = {"en": "en-gb", "sv": "sv", "de": "de", "zh": "cmn"}


def prompt_path(prompts_dir: Path, language: str, name: str) -> Path:
    return prompts_dir / language / f"{name}.wav"


def number_prompts(number: int, language: str) -> list[str]:
    """The prompts that say a number (a queue position, minutes) in `language`, in order."""
    return numbers.spoken(number, language)


_CONVERSION = ("gain", "-n", "-3")    # normalised to -3 dBFS before the rate change, so resampling does not clip
# The words of numbers are played one after the other ("twenty" "three"): espeak-ng's 0.4 s of
# silence around each would break a number apart, so a word keeps only 30 ms of it at either end.
_WORD_CONVERSION = ("silence", "1", "0.01", "-45d", "reverse", "silence", "1", "0.01", "-45d", "reverse",
                    "pad", "0.03", "0.03", *_CONVERSION)


def _speech(language: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Every spoken prompt of a language, with its sox effects: the texts, and the words of numbers."""
    return {**{name: (text, _CONVERSION) for name, text in TEXTS[language].items()},
            **{name: (word, _WORD_CONVERSION) for name, word in numbers.WORDS[language].items()}}


def _fingerprint(voice: str, text: str, effects: tuple[str, ...] = _CONVERSION) -> str:
    conversion = "8000/1/16/gain-n-3"      # what the prompts spoken before words were trimmed are stamped with
    if effects != _CONVERSION:
        conversion += "/" + " ".join(effects)
    return hashlib.sha256(f"{voice}\0{text}\0{conversion}".encode()).hexdigest()[:16]


# Sounds that are not speech: sox effects after `sox -n ... synth`, the same in every language.
TONES: dict[str, tuple[str, ...]] = {
    "tone-beep": ("synth", "0.4", "sine", "1000", "gain", "-9"),     # voicemail: speak after the tone
    # Ends every playlist of several prompts: pjmedia's playlist (2.17, wav_playlist.c) drops the
    # last buffer it read (up to 0.25 s) when its last file ends, so that must be silence.
    "playlist-end": ("trim", "0", "0.3"),
}
PLAYLIST_END = "playlist-end"


def generate(prompts_dir: Path) -> int:
    """Writes every prompt that is missing or whose text changed; returns how many were written.
    Each prompt is two short processes (espeak-ng, sox): they run on every core at once."""
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (make packages)")
    jobs = []
    for language in LANGUAGES:
        voice = VOICES[language]
        folder = prompts_dir / language
        folder.mkdir(parents=True, exist_ok=True)
        for name, (text, effects) in _speech(language).items():
            jobs.append((prompt_path(prompts_dir, language, name), _fingerprint(voice, text, effects),
                         lambda target, voice=voice, text=text, effects=effects: _speak(voice, text, effects, target)))
        for name, effects in TONES.items():
            jobs.append((prompt_path(prompts_dir, language, name), _fingerprint("sox", " ".join(effects)),
                         lambda target, effects=effects: _synthesize(effects, target)))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return sum(pool.map(lambda job: _write_if_changed(*job), jobs))


def _write_if_changed(target: Path, fingerprint: str, write) -> int:
    stamp = target.with_suffix(".id")
    if target.exists() and stamp.exists() and stamp.read_text() == fingerprint:
        return 0
    write(target)
    stamp.write_text(fingerprint)
    return 1


def _synthesize(effects: tuple[str, ...], target: Path) -> None:
    partial = target.with_suffix(".part.wav")
    subprocess.run(["sox", "-V1", "-n", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(partial),
                    *effects], check=True)
    partial.replace(target)


def _speak(voice: str, text: str, effects: tuple[str, ...], target: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "speech.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(raw), text], check=True)
        partial = target.with_suffix(".part.wav")
        subprocess.run(["sox", "-V1", str(raw), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer",
                        str(partial), *effects], check=True)
        partial.replace(target)
