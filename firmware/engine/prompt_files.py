"""Which files say a prompt, in the box's prompt language, and how long they play.

Lengths are read once per file from its WAV header: a prompt ends by the clock (calls know when),
not by an end-of-file callback from pjmedia's media thread.
"""

from __future__ import annotations

import logging
from pathlib import Path

from firmware.engine import prompts, wavfix

log = logging.getLogger(__name__)


class PromptFiles:
    def __init__(self, prompts_dir: Path):
        self.prompts_dir = prompts_dir
        self._lengths: dict[str, float] = {}

    def files(self, parts: tuple[str | int, ...] | list[str | int], language: str) -> tuple[list[str], float]:
        """The files of the parts (prompt names; ints are said as numbers) and their length. Several
        files play as one pjmedia playlist, which drops up to 0.25 s at its end: a silence
        (`playlist-end`, not counted) ends it."""
        names = [name for part in parts
                 for name in (prompts.number_prompts(part, language) if isinstance(part, int) else [part])]
        files, total = self._found(names, language)
        if len(files) > 1:
            end, _ = self._found([prompts.PLAYLIST_END], language)
            files += end
        return files, total

    def _found(self, names: list[str], language: str) -> tuple[list[str], float]:
        files, total = [], 0.0
        for name in names:
            path = prompts.prompt_path(self.prompts_dir, language, name)
            key = str(path)
            if key not in self._lengths:
                try:
                    self._lengths[key] = wavfix.read_info(path).duration_seconds
                except (OSError, wavfix.WavError) as exc:
                    log.error("prompt %s unusable: %s", path, exc)
                    continue
            files.append(key)
            total += self._lengths[key]
        return files, total
