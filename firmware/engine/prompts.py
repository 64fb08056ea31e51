"""The default prompt set: spoken by espeak-ng in each language, converted by sox to 8 kHz mono WAV."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

LANGUAGES = {"en": "en-gb", "sv": "sv", "de": "de", "zh": "cmn"}

NUMBERS = range(0, 21)

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "welcome": "Welcome. Thank you for calling.",
        "queue-first": "All our agents are busy at the moment. Please stay on the line.",
        "queue-repeat": "Thank you for waiting. The next free agent will take your call.",
        "position": "You are caller number",
        "closed": "We are closed at the moment. Please call again later.",
        "goodbye": "Goodbye.",
    },
    "sv": {
        "welcome": "Välkommen. Tack för att du ringer.",
        "queue-first": "Alla våra handläggare är upptagna just nu. Var vänlig vänta kvar.",
        "queue-repeat": "Tack för att du väntar. Nästa lediga handläggare tar ditt samtal.",
        "position": "Du är nummer",
        "closed": "Vi har stängt just nu. Var vänlig ring igen senare.",
        "goodbye": "Hej då.",
    },
    "de": {
        "welcome": "Willkommen. Vielen Dank für Ihren Anruf.",
        "queue-first": "Alle Mitarbeiter sind im Gespräch. Bitte bleiben Sie in der Leitung.",
        "queue-repeat": "Vielen Dank für Ihre Geduld. Der nächste freie Mitarbeiter ist gleich für Sie da.",
        "position": "Sie sind Anrufer Nummer",
        "closed": "Wir haben gerade geschlossen. Bitte rufen Sie später wieder an.",
        "goodbye": "Auf Wiederhören.",
    },
    "zh": {
        "welcome": "欢迎致电，感谢您的来电。",
        "queue-first": "所有座席正忙，请不要挂机。",
        "queue-repeat": "感谢您的耐心等待，下一位空闲座席将为您服务。",
        "position": "您在队列中的位置是",
        "closed": "现在是非工作时间，请稍后再拨。",
        "goodbye": "再见。",
    },
}


def prompt_path(prompts_dir: Path, language: str, name: str) -> Path:
    return prompts_dir / language / f"{name}.wav"


def number_prompt(number: int) -> str:
    return f"number-{number}"


def _texts(language: str) -> dict[str, str]:
    texts = dict(TEXTS[language])
    for n in NUMBERS:
        texts[number_prompt(n)] = str(n)
    return texts


_CONVERSION = "8000/1/16/gain-n-3"


def _fingerprint(voice: str, text: str) -> str:
    return hashlib.sha256(f"{voice}\0{text}\0{_CONVERSION}".encode()).hexdigest()[:16]


def generate(prompts_dir: Path) -> int:
    """Writes every prompt that is missing or whose text changed; returns how many were written."""
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (make packages)")
    written = 0
    for language, voice in LANGUAGES.items():
        folder = prompts_dir / language
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in _texts(language).items():
            target = prompt_path(prompts_dir, language, name)
            stamp = target.with_suffix(".id")
            fingerprint = _fingerprint(voice, text)
            if target.exists() and stamp.exists() and stamp.read_text() == fingerprint:
                continue
            _speak(voice, text, target)
            stamp.write_text(fingerprint)
            written += 1
    return written


def _speak(voice: str, text: str, target: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "speech.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(raw), text], check=True)
        partial = target.with_suffix(".part.wav")
        # Normalised to -3 dBFS before the rate change, so resampling does not clip.
        subprocess.run(["sox", "-V1", str(raw), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer",
                        str(partial), "gain", "-n", "-3"], check=True)
        partial.replace(target)
