"""The default prompt set: spoken by espeak-ng in each language, converted by sox to 8 kHz mono WAV."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from firmware.engine import numbers

LANGUAGES = {"en": "en-gb", "sv": "sv", "de": "de", "zh": "cmn"}

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "agent-intro": "You are speaking with agent",
        "estimated-wait": "Your estimated waiting time is",
        "less-than": "less than",
        "about": "about",
        "more-than": "more than",
        "minutes": "minutes",
        "hours": "hours",
        "callback-offer": "To be called back instead of waiting, press 1. You keep your place in the queue.",
        "callback-confirm": "Thank you. We will call you back as soon as it is your turn. Goodbye.",
        "callback-confirm-later": "Thank you. We will call you back at the hour you chose. Goodbye.",
        "callback-number-is": "We will call you back at",
        "callback-number-choice": "To keep this number, press 1. To give another number, press 2.",
        "callback-enter-number": "Please enter your phone number, then press the hash key.",
        "callback-when": "To be called back when it is your turn, press 1. To choose a later hour today, press 2.",
        "callback-enter-hour": "Please enter the hour, from 0 to 23, then press the hash key.",
        "callback-invalid": "Sorry, that was not valid.",
        "overflow": "We cannot take your call right now. Please call again later. Goodbye.",
        "welcome": "Welcome. Thank you for calling.",
        "queue-first": "All our agents are busy at the moment. Please stay on the line.",
        "queue-repeat": "Thank you for waiting. The next free agent will take your call.",
        "position": "You are caller number",
        "closed": "We are closed at the moment. Please call again later.",
        "goodbye": "Goodbye.",
        "voicemail-greeting": "Nobody can take your call right now. Please leave a message after the tone, then hang up or press the hash key.",
        "voicemail-thanks": "Thank you for your message. Goodbye.",
        "agent-logged-in": "You are logged in.",
        "agent-logged-out": "You are logged out.",
        "agent-paused": "You are paused.",
        "agent-available": "You are available again.",
        "agent-wrapup-ended": "Your wrap-up has ended.",
        "feature-refused": "Sorry, that is not possible now.",
        "call-classified": "Thank you. The call is classified.",
    },
    "sv": {
        "agent-intro": "Du talar med handläggare",
        "estimated-wait": "Din beräknade väntetid är",
        "less-than": "mindre än",
        "about": "ungefär",
        "more-than": "mer än",
        "minutes": "minuter",
        "hours": "timmar",
        "callback-offer": "Tryck 1 för att bli uppringd i stället för att vänta. Du behåller din plats i kön.",
        "callback-confirm": "Tack. Vi ringer upp dig när det är din tur. Hej då.",
        "callback-confirm-later": "Tack. Vi ringer upp dig den timme du valde. Hej då.",
        "callback-number-is": "Vi ringer upp dig på numret",
        "callback-number-choice": "Tryck 1 för att behålla numret. Tryck 2 för att ange ett annat nummer.",
        "callback-enter-number": "Ange ditt telefonnummer och avsluta med fyrkant.",
        "callback-when": "Tryck 1 för att bli uppringd när det är din tur. Tryck 2 för att välja en senare timme i dag.",
        "callback-enter-hour": "Ange timmen, från 0 till 23, och avsluta med fyrkant.",
        "callback-invalid": "Tyvärr, det var inte giltigt.",
        "overflow": "Vi kan inte ta ditt samtal just nu. Var vänlig ring igen senare. Hej då.",
        "welcome": "Välkommen. Tack för att du ringer.",
        "queue-first": "Alla våra handläggare är upptagna just nu. Var vänlig vänta kvar.",
        "queue-repeat": "Tack för att du väntar. Nästa lediga handläggare tar ditt samtal.",
        "position": "Du är nummer",
        "closed": "Vi har stängt just nu. Var vänlig ring igen senare.",
        "goodbye": "Hej då.",
        "voicemail-greeting": "Ingen kan ta ditt samtal just nu. Lämna ett meddelande efter tonen och lägg sedan på eller tryck fyrkant.",
        "voicemail-thanks": "Tack för ditt meddelande. Hej då.",
        "agent-logged-in": "Du är inloggad.",
        "agent-logged-out": "Du är utloggad.",
        "agent-paused": "Du har paus.",
        "agent-available": "Du är tillgänglig igen.",
        "agent-wrapup-ended": "Din efterbearbetning är avslutad.",
        "feature-refused": "Tyvärr, det går inte just nu.",
        "call-classified": "Tack. Samtalet är klassificerat.",
    },
    "de": {
        "agent-intro": "Sie sprechen mit Mitarbeiter",
        "estimated-wait": "Ihre voraussichtliche Wartezeit beträgt",
        "less-than": "weniger als",
        "about": "etwa",
        "more-than": "mehr als",
        "minutes": "Minuten",
        "hours": "Stunden",
        "callback-offer": "Für einen Rückruf statt zu warten, drücken Sie die 1. Sie behalten Ihren Platz in der Warteschlange.",
        "callback-confirm": "Vielen Dank. Wir rufen Sie zurück, sobald Sie an der Reihe sind. Auf Wiederhören.",
        "callback-confirm-later": "Vielen Dank. Wir rufen Sie zur gewählten Stunde zurück. Auf Wiederhören.",
        "callback-number-is": "Wir rufen Sie zurück unter der Nummer",
        "callback-number-choice": "Um diese Nummer zu behalten, drücken Sie die 1. Für eine andere Nummer drücken Sie die 2.",
        "callback-enter-number": "Bitte geben Sie Ihre Telefonnummer ein und drücken Sie dann die Rautetaste.",
        "callback-when": "Für einen Rückruf, sobald Sie an der Reihe sind, drücken Sie die 1. Für eine spätere Stunde heute drücken Sie die 2.",
        "callback-enter-hour": "Bitte geben Sie die Stunde ein, von 0 bis 23, und drücken Sie dann die Rautetaste.",
        "callback-invalid": "Das war leider keine gültige Eingabe.",
        "overflow": "Wir können Ihren Anruf im Moment nicht annehmen. Bitte rufen Sie später wieder an. Auf Wiederhören.",
        "welcome": "Willkommen. Vielen Dank für Ihren Anruf.",
        "queue-first": "Alle Mitarbeiter sind im Gespräch. Bitte bleiben Sie in der Leitung.",
        "queue-repeat": "Vielen Dank für Ihre Geduld. Der nächste freie Mitarbeiter ist gleich für Sie da.",
        "position": "Sie sind Anrufer Nummer",
        "closed": "Wir haben gerade geschlossen. Bitte rufen Sie später wieder an.",
        "goodbye": "Auf Wiederhören.",
        "voicemail-greeting": "Im Moment kann niemand Ihren Anruf annehmen. Bitte hinterlassen Sie nach dem Signalton eine Nachricht und legen Sie dann auf oder drücken Sie die Rautetaste.",
        "voicemail-thanks": "Vielen Dank für Ihre Nachricht. Auf Wiederhören.",
        "agent-logged-in": "Sie sind angemeldet.",
        "agent-logged-out": "Sie sind abgemeldet.",
        "agent-paused": "Sie sind in Pause.",
        "agent-available": "Sie sind wieder verfügbar.",
        "agent-wrapup-ended": "Ihre Nachbearbeitung ist beendet.",
        "feature-refused": "Das ist leider gerade nicht möglich.",
        "call-classified": "Danke. Der Anruf ist eingeordnet.",
    },
    "zh": {
        "agent-intro": "为您服务的是座席",
        "estimated-wait": "您的预计等待时间是",
        "less-than": "少于",
        "about": "大约",
        "more-than": "超过",
        "minutes": "分钟",
        "hours": "小时",
        "callback-offer": "如需回电而不必等待，请按1。您在队列中的位置将被保留。",
        "callback-confirm": "谢谢。轮到您时我们会给您回电。再见。",
        "callback-confirm-later": "谢谢。我们将在您选择的时间给您回电。再见。",
        "callback-number-is": "我们将回拨到号码",
        "callback-number-choice": "保留此号码请按1，使用其他号码请按2。",
        "callback-enter-number": "请输入您的电话号码，以井号键结束。",
        "callback-when": "轮到您时回电请按1，选择今天稍后的时间请按2。",
        "callback-enter-hour": "请输入小时数，从0到23，以井号键结束。",
        "callback-invalid": "对不起，输入无效。",
        "overflow": "我们现在无法接听您的电话，请稍后再拨。再见。",
        "welcome": "欢迎致电，感谢您的来电。",
        "queue-first": "所有座席正忙，请不要挂机。",
        "queue-repeat": "感谢您的耐心等待，下一位空闲座席将为您服务。",
        "position": "您在队列中的位置是",
        "closed": "现在是非工作时间，请稍后再拨。",
        "goodbye": "再见。",
        "voicemail-greeting": "现在无人接听您的电话。请在提示音后留言，然后挂机或按井号键。",
        "voicemail-thanks": "感谢您的留言。再见。",
        "agent-logged-in": "您已登录。",
        "agent-logged-out": "您已退出登录。",
        "agent-paused": "您已暂停。",
        "agent-available": "您已恢复空闲。",
        "agent-wrapup-ended": "您的话后处理已结束。",
        "feature-refused": "对不起，现在无法执行此操作。",
        "call-classified": "谢谢，通话已分类。",
    },
}


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
    for language, voice in LANGUAGES.items():
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
