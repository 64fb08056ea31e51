"""Ends the calls a dead engine left behind: every dialog the edge tracks with the engine at one end.

The engine is a B2BUA: each call is a caller<->engine dialog and an engine<->agent dialog, both
through the edge. When the engine dies (kill -9, a crash) its successor knows nothing of them, and
the callers and agents would sit in dead air until they hang up. kamailio's dialog module tracks
every dialog it relays (kamailio.cfg: profile "engine" for those with the engine at one end; calls
from agent to agent are not in it), so the new engine asks the edge, before it takes any call, to
end each of them with a BYE towards both sides (`dlg.end_dlg`).

Why the edge's record and not the engine's own: the edge has the route set, tags and CSeqs of
every dialog already, in shared memory that outlives the engine, and its BYEs are right by
construction; the engine would have to write all that to disk at every call setup and rebuild
dialogs pjsua2 cannot take back.
"""

from __future__ import annotations

import logging

from firmware.edge import rpc

log = logging.getLogger(__name__)

ENGINE_PROFILE = "engine"
CONFIRMED_STATES = (3, 4)          # dialog module: 3 answered (no ACK yet), 4 confirmed


def _dialogs(result) -> list[dict]:
    """The dialog descriptions in a dlg.profile_list result (a list, or one dict for one dialog)."""
    if isinstance(result, dict):
        result = [result]
    return [d for d in result or [] if isinstance(d, dict)]


def end_engine_dialogs(timeout: float = rpc.TIMEOUT) -> int:
    """BYE both ways for every answered dialog in the engine's profile; the number of dialogs ended.

    Call it while no engine runs (before the new one starts): every such dialog is then a lost one."""
    try:
        listed = rpc.call("dlg.profile_list", ENGINE_PROFILE, timeout=timeout)
    except rpc.EdgeError as exc:
        log.warning("the edge's dialogs not listed: %s", exc)
        return 0
    except (rpc.EdgeUnavailable, OSError) as exc:
        log.info("the edge's dialogs not listed (edge not running?): %s", exc)
        return 0
    ended = 0
    for dialog in _dialogs(listed):
        h_entry, h_id, state = dialog.get("h_entry"), dialog.get("h_id"), dialog.get("state")
        if type(h_entry) is not int or type(h_id) is not int or state not in CONFIRMED_STATES:
            continue
        try:
            rpc.call("dlg.end_dlg", h_entry, h_id, timeout=timeout)
            ended += 1
        except (rpc.EdgeError, rpc.EdgeUnavailable, OSError) as exc:
            log.warning("lost call %s not ended at the edge: %s", dialog.get("call-id"), exc)
    return ended
