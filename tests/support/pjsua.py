"""A pjsua2 Endpoint for media tests and benches: no SIP threads, a null sound device (the bridge
keeps pjmedia's clock without hardware), 8 kHz mono as the box runs it."""

from __future__ import annotations

import pjsua2 as pj


def null_sound_endpoint() -> pj.Endpoint:
    """Started; the caller calls libDestroy() when done."""
    ep = pj.Endpoint()
    ep.libCreate()
    cfg = pj.EpConfig()
    cfg.uaConfig.threadCnt = 0
    cfg.uaConfig.mainThreadOnly = False
    cfg.medConfig.clockRate = 8000
    cfg.medConfig.sndClockRate = 8000
    cfg.medConfig.channelCount = 1
    cfg.medConfig.ecTailLen = 0
    cfg.medConfig.noVad = True
    cfg.medConfig.threadCnt = 1
    cfg.logConfig.level = 1
    cfg.logConfig.consoleLevel = 1
    ep.libInit(cfg)
    ep.audDevManager().setNullDev()
    ep.libStart()
    return ep
