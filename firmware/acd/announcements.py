"""Queue announcements: the first message, then repeated messages in turn with position and wait."""

from __future__ import annotations

from firmware.acd.config import MessageSet
from firmware.acd.estimator import speakable_wait


def first_message(messages: MessageSet) -> tuple[str | int, ...] | None:
    return (messages.first,) if messages.first else None


def repeated_message(messages: MessageSet, played: int, position: int | None,
                     estimate: float | None) -> tuple[str | int, ...]:
    """The `played`-th repeated announcement (counting from 0): rotates through the set's messages."""
    parts: list[str | int] = []
    if messages.repeated:
        parts.append(messages.repeated[played % len(messages.repeated)])
    if messages.announce_position and position is not None:
        parts += ["position", position]
    if (messages.announce_wait and estimate is not None and estimate != float("inf")
            and estimate >= messages.min_wait_to_announce):
        parts += speakable_wait(estimate)
    return tuple(parts)
