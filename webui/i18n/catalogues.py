"""The compiled catalogues: webui/translations/<lang>/LC_MESSAGES/messages.po (committed) compiled
to .mo (never committed) by `make setup` (`pybabel compile`), or here at the app's start when a
.mo is missing or older than its .po, so a fresh checkout or a test run needs no step of its own.
A tree that cannot be written (the image) gets them compiled into the cache directory instead."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

SOURCE = Path(__file__).resolve().parent.parent / "translations"
DOMAIN = "messages"


def _stale(po: Path, mo: Path) -> bool:
    return not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime


def _compile(po: Path, mo: Path) -> None:
    with po.open("rb") as source:
        catalog = read_po(source, locale=po.parent.parent.name)
    mo.parent.mkdir(parents=True, exist_ok=True)
    # written beside and renamed: gunicorn's workers start together and may compile at once
    fd, temporary = tempfile.mkstemp(dir=mo.parent, suffix=".mo.tmp")
    with os.fdopen(fd, "wb") as target:
        write_mo(target, catalog, use_fuzzy=False)
    os.replace(temporary, mo)


def compile_into(source: Path, target: Path) -> None:
    for po in sorted(source.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo = target / po.relative_to(source).with_suffix(".mo")
        if _stale(po, mo):
            _compile(po, mo)


def compiled(source: Path = SOURCE) -> Path:
    """The directory Flask-Babel reads: the source tree, or a copy in the cache if that is read-only."""
    try:
        compile_into(source, source)
        return source
    except OSError:
        cache = Path(os.environ.get("CALLBOX_CACHE") or Path(tempfile.gettempdir()) / "callbox") / "translations"
        compile_into(source, cache)
        return cache
