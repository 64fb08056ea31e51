"""The pjsua2 shell: endpoint set-up, the engine's SIP account, and call legs that report to their owner.

Every SIP callback of pjsua2 arrives in the engine's single thread (threadCnt=0, we poll with
libHandleEvents), and only forwards to Python objects that hold the logic. Keys (RFC 4733) are the
exception: pjmedia reports them from its media thread, so `SipLeg.onDtmfDigit` only queues them in
`KEYS_HEARD` and the engine's loop hands them to their owners. No callback runs per media frame:
prompts end by the clock (their length is known), not by an end-of-file callback, which would also
come from the media thread.

An exception must not leave a callback: SWIG's director prints it and returns to pjsua2 as if the
callback had done its work, so a leg would be left without a final reply. Every callback of a leg
is therefore `guarded`: what raises is logged and the leg ended (500 if it was not answered yet).
"""

from __future__ import annotations

import functools
import logging
import time
from collections import deque
from pathlib import Path

import pjsua2 as pj

from firmware.config import BoxConfig
from firmware.engine import sdp
from firmware.engine.legs import Hub, LegError, LegOwner

log = logging.getLogger(__name__)

RTP_PORT_RANGE = 20000   # RTP+RTCP pairs for up to 10,000 legs


# (leg, key) from pjmedia's media thread, taken by the engine's loop (SipUa.poll)
KEYS_HEARD: deque = deque()
# pjsua2 objects kept alive until the current callback has returned (cleared after each turn)
RETIRED: list = []
# (when to drop, player): stopped prompt players kept a little longer, see SipLeg.stop_playing
LINGERING: deque = deque()
PLAYER_LINGER = 1.0          # seconds a stopped prompt player is kept before it is destroyed
# (when to drop, account): the accounts of calls the engine hung up. Such a call lives on in pjsua2
# until its BYE (or refusal) transaction ends, and no callback tells when: pjsua2 reports
# DISCONNECTED at the hang-up already (pjproject #2600). Its account must live as long, or pjsua2
# deletes it under the call by force ("deleting account 2 while call 3 is still active (forced)":
# a deleted trunk's account, once the provider was slower to answer the BYE than the engine's turn).
# RFC 3261's Timer F and H (64*T1, 32 s) bound that transaction.
HELD_ACCOUNTS: deque = deque()
CALL_AFTERLIFE = 64 * 0.5 + 1.0


def guarded(callback):
    """A leg's pjsua2 callback that never lets an exception through to pjsua2: it is logged and
    the leg is ended."""
    @functools.wraps(callback)
    def run(leg: SipLeg, prm) -> None:
        try:
            callback(leg, prm)
        except Exception:
            log.exception("%s of a %s leg failed: the leg is ended", callback.__name__, leg.role)
            leg.fail()
    return run


class SipLeg(pj.Call):
    """One SIP call leg of the B2BUA (a `legs.Leg`); `owner` decides what happens."""

    def __init__(self, account: pj.Account, role: str, call_id: int = pj.PJSUA_INVALID_ID):
        super().__init__(account, call_id)
        # Held, so an account outlives its calls: pjsua2 would delete it under a live call by force
        # (the call losing its credentials, and pj.Call keeping a C++ reference to a deleted Account).
        self.account = account
        self.role = role          # "caller" or "agent"
        self.owner: LegOwner | None = None
        self.media: pj.AudioMedia | None = None
        self.confirmed = False
        self.disconnected = False
        self.hung_up = False      # by the engine: the call may outlive the leg (HELD_ACCOUNTS)
        self.failed = False
        self.last_status = 0
        self.player: pj.AudioMediaPlayer | None = None
        self.recorder: pj.AudioMediaRecorder | None = None
        self.recorded_media: pj.AudioMedia | None = None

    @property
    def has_media(self) -> bool:
        return self.media is not None

    @guarded
    def onCallState(self, prm) -> None:
        info = self.getInfo()
        self.last_status = info.lastStatusCode
        if info.state == pj.PJSIP_INV_STATE_CONFIRMED:
            self.confirmed = True
            if self.owner is not None:
                self.owner.leg_answered(self)
        elif info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self.disconnected = True
            self.media = None
            if self.owner is not None:
                self.owner.leg_ended(self)

    @guarded
    def onCallMediaState(self, prm) -> None:
        info = self.getInfo()
        for media in info.media:
            if media.type == pj.PJMEDIA_TYPE_AUDIO and media.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
                self.media = self.getAudioMedia(media.index)
                if self.owner is not None:
                    self.owner.leg_media(self)
                return

    def onDtmfDigit(self, prm) -> None:
        KEYS_HEARD.append((self, prm.digit))       # media thread: the loop delivers it (deque is thread-safe)

    @guarded
    def onCallRxOffer(self, prm) -> None:
        """A re-INVITE's or UPDATE's offer: one the box cannot use is refused with 488 (the call
        goes on as it was) before pjmedia acts on it."""
        try:
            sdp.check(prm.offer.wholeSdp)
        except sdp.UnusableSdp as exc:
            log.warning("new offer on a %s leg refused with 488: %s", self.role, exc)
            prm.statusCode = pj.PJSIP_SC_NOT_ACCEPTABLE_HERE

    def fail(self) -> None:
        """Ends the leg after a callback failed: 500 while it was not answered, else a BYE."""
        if self.failed:
            return
        self.failed = True
        self.hang_up(0 if self.confirmed or self.role != "caller" else 500)

    def deliver_key(self, digit: str) -> None:
        if self.owner is not None:
            try:
                self.owner.leg_key(self, digit)
            except Exception:
                log.exception("key %r on a %s leg failed: the leg is ended", digit, self.role)
                self.fail()

    # --- legs.Leg -----------------------------------------------------------------------------------

    def answer(self) -> None:  # type: ignore[override]
        try:
            super().answer(call_setting_param(200))
        except pj.Error as exc:
            raise LegError(exc.info()) from None

    def hang_up(self, status: int = 0) -> None:
        """Hangs up unless already gone; pjsua2 raises for a call that ended meanwhile."""
        if self.disconnected:
            return
        self.hung_up = True
        prm = pj.CallOpParam()
        if status:
            prm.statusCode = status
        try:
            self.hangup(prm)
        except pj.Error as exc:
            log.debug("hangup of %s leg: %s", self.role, exc.info())

    def play(self, files: list[str]) -> bool:
        self.stop_playing()
        if self.media is None or not files:
            return False
        self.player = start_player(files, self.media)
        return self.player is not None

    def stop_playing(self) -> None:
        """Stops the prompt player at once and destroys it PLAYER_LINGER seconds later.

        At the end of its file a player posts an event that pjmedia's event thread delivers to the
        C++ AudioMediaPlayer later. Destroyed before that, the event thread calls through freed
        memory (SIGSEGV in file_on_event; pjproject PR #5045), and prompts are stopped exactly when
        they end, so under load this happened every few hundred calls. Disconnected, the bridge no
        longer reads the port (no new end-of-file), and a second later every event is delivered.
        """
        player, self.player = self.player, None
        if player is None:
            return
        if self.media is not None:
            try:
                player.stopTransmit(self.media)
            except pj.Error as exc:
                log.debug("stopping a prompt: %s", exc.info())
        LINGERING.append((time.monotonic() + PLAYER_LINGER, player))

    def attach(self, hub: Hub, hub_leg: int) -> None:
        hub.attach(hub_leg, self.media)

    def record(self, path: Path) -> bool:
        if self.media is None:
            return False
        recorder = pj.AudioMediaRecorder()
        try:
            recorder.createRecorder(str(path))
            self.media.startTransmit(recorder)
        except pj.Error as exc:
            log.error("recording to %s not started: %s", path, exc.info())
            return False
        self.recorder, self.recorded_media = recorder, self.media
        return True

    def stop_recording(self) -> None:
        recorder, self.recorder = self.recorder, None
        if recorder is None:
            return
        try:
            self.recorded_media.stopTransmit(recorder)
        except pj.Error as exc:        # the leg's media may be gone already
            log.debug("stopping a recording: %s", exc.info())
        # Destroyed at the end of this loop turn (a recorder posts no end-of-file event, unlike a
        # player); pjmedia then closes the file, with its sizes, on a tick of its clock.
        RETIRED.append(recorder)

    def release(self) -> None:
        self.owner = None      # no cycle: the leg goes with the next end of a turn
        RETIRED.append(self)
        if self.hung_up:
            HELD_ACCOUNTS.append((time.monotonic() + CALL_AFTERLIFE, self.account))


def start_player(files: list[str], media) -> pj.AudioMediaPlayer | None:
    """A player of the prompt files (one file, or a playlist) sending to `media`: a SIP leg's or a
    card line's port; None, logged, when pjmedia cannot open them."""
    player = pj.AudioMediaPlayer()
    try:
        if len(files) == 1:
            player.createPlayer(files[0], pj.PJMEDIA_FILE_NO_LOOP)
        else:
            vector = pj.StringVector()
            for f in files:
                vector.append(f)
            player.createPlaylist(vector, "prompts", pj.PJMEDIA_FILE_NO_LOOP)
        player.startTransmit(media)
    except pj.Error as exc:
        log.error("cannot play %s: %s", files, exc.info())
        return None
    return player


def end_of_turn(now: float) -> None:
    """What the turn retired goes now; players that lingered long enough too, and accounts held
    past their calls' last transaction."""
    RETIRED.clear()
    while LINGERING and LINGERING[0][0] <= now:
        LINGERING.popleft()
    while HELD_ACCOUNTS and HELD_ACCOUNTS[0][0] <= now:
        HELD_ACCOUNTS.popleft()


def call_setting_param(status: int = 0, *, local_uri: str | None = None,
                       headers: dict[str, str] | None = None) -> pj.CallOpParam:
    """One audio stream and nothing else: 2.17 opens a text stream per call unless told not to.
    For a call the engine makes: `local_uri` for its From (what the phone shows), extra `headers`."""
    prm = pj.CallOpParam(True)
    prm.opt.audioCount = 1
    prm.opt.videoCount = 0
    prm.opt.textCount = 0
    if status:
        prm.statusCode = status
    if local_uri:
        prm.txOption.localUri = local_uri
    for name, value in (headers or {}).items():
        sip_header = pj.SipHeader()
        sip_header.hName, sip_header.hValue = name, value
        prm.txOption.headers.append(sip_header)
    return prm


class ServiceAccount(pj.Account):
    """An account calls can arrive on: each one goes to `on_incoming` (the engine's incoming_call).

    pjsua2 gives an INVITE to the account whose identity fits its To and request URI best, and an
    account without onIncomingCall refuses it with 500: every account that can be chosen must be one
    of these."""

    def __init__(self, on_incoming):
        super().__init__()
        self.on_incoming = on_incoming

    def onIncomingCall(self, prm) -> None:
        # Nothing here may end the call (see Engine.incoming_call). Without a Leg bound to it,
        # pjsua2 itself refuses the call with 500 when this returns.
        leg = SipLeg(self, "caller", prm.callId)
        try:
            # SWIG hands the bytes over as text with surrogateescape: back to the bytes that came
            message = prm.rdata.wholeMsg.encode("utf-8", "surrogateescape")
        except Exception:
            log.exception("incoming request not readable")
            message = None
        self.on_incoming(leg, message)


class TrunkAccount(ServiceAccount):
    """Outbound registration to a provider, sent through the edge; it tells the provider to send
    its calls to the edge's address. Calls themselves run on `calls` (create_trunk_account)."""

    calls: ServiceAccount | None = None
    # the last answer to the registration, for the installer's console (`trunks` on the socket)
    registration: dict = {"code": None, "reason": "no answer yet", "expires": None}

    def onRegState(self, prm) -> None:
        log.info("trunk registration %s: %s %s", self.getInfo().uri, prm.code, prm.reason)
        self.registration = {"code": prm.code, "reason": prm.reason, "expires": prm.expiration}


def create_endpoint(config: BoxConfig, max_calls: int = 1024) -> tuple[pj.Endpoint, int]:
    ep = pj.Endpoint()
    ep.libCreate()
    cfg = pj.EpConfig()
    cfg.uaConfig.maxCalls = max_calls
    cfg.uaConfig.threadCnt = 0
    cfg.uaConfig.mainThreadOnly = False
    cfg.uaConfig.userAgent = "Callbox"
    cfg.medConfig.clockRate = 8000          # G.711 end to end: the bridge never resamples
    cfg.medConfig.sndClockRate = 8000
    cfg.medConfig.channelCount = 1
    cfg.medConfig.ecTailLen = 0             # no echo canceller: nothing here plays into a microphone
    cfg.medConfig.noVad = True
    cfg.medConfig.threadCnt = 1
    cfg.logConfig.level = 2
    cfg.logConfig.consoleLevel = 2
    cfg.logConfig.msgLogging = False
    ep.libInit(cfg)
    ep.audDevManager().setNullDev()
    for codec in ep.codecEnum2():
        priority = {"PCMU/8000/1": 255, "PCMA/8000/1": 254}.get(codec.codecId, 0)
        ep.codecSetPriority(codec.codecId, priority)
    tcfg = pj.TransportConfig()
    tcfg.port = config.engine_port
    tcfg.boundAddress = config.bind_address
    tcfg.publicAddress = config.bind_address
    transport_id = ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tcfg)
    ep.libStart()
    return ep, transport_id


def _base_account_config(config: BoxConfig, transport_id: int) -> pj.AccountConfig:
    acfg = pj.AccountConfig()
    acfg.sipConfig.transportId = transport_id
    acfg.mediaConfig.transportConfig.port = config.rtp_port_start
    acfg.mediaConfig.transportConfig.portRange = RTP_PORT_RANGE
    acfg.mediaConfig.transportConfig.boundAddress = config.bind_address
    acfg.mediaConfig.transportConfig.publicAddress = config.bind_address
    acfg.mediaConfig.ipv6Use = pj.PJSUA_IPV6_DISABLED   # else every call waits on an AAAA lookup
    acfg.natConfig.sdpNatRewriteUse = 0
    acfg.natConfig.contactRewriteUse = 0
    acfg.natConfig.viaRewriteUse = 0
    acfg.callConfig.timerUse = pj.PJSUA_SIP_TIMER_INACTIVE
    return acfg


def create_service_account(config: BoxConfig, transport_id: int, on_incoming) -> ServiceAccount:
    acfg = _base_account_config(config, transport_id)
    acfg.idUri = f"sip:callbox@{config.bind_address}:{config.engine_port}"
    account = ServiceAccount(on_incoming)
    account.create(acfg, True)
    return account


def edge_uri(config: BoxConfig, user: str) -> str:
    """sip:<user>@<the edge's address>: where phones and providers reach the box."""
    host = config.bind_address.strip("[]")
    host = f"[{host}]" if ":" in host else host
    return f"sip:{user}@{host}:{config.sip_port}"


# Ties between accounts that fit an INVITE equally are won by the higher priority (pjsua_acc.c).
_TRUNK_CALLS_PRIORITY = 1


def create_trunk_account(config: BoxConfig, transport_id: int, address: str, username: str,
                         password: str, on_incoming) -> TrunkAccount:
    """A provider trunk that wants a registration, as two accounts of the same identity
    (sip:<username>@<address>) and credentials, both sending through the edge:

    - the returned TrunkAccount registers, with the edge's address as its Contact: the provider
      sends its calls there, and the edge hands them to the engine as it does any trunk's;
    - its `calls` account carries the calls, both ways: an outbound INVITE answers the provider's
      401/407 with the trunk's credentials, and an INVITE from the provider is an incoming call.
      Its Contact is the engine's own, as for every call (the edge's Record-Route keeps in-dialog
      requests going through the edge). A registration Contact of the edge on the calls
      themselves would send their BYEs from the edge back to the edge.

    The calls account has the higher priority, so pjsua2, choosing between the two for an INVITE
    (they fit it alike), always gives it the call.
    """
    def trunk_config() -> pj.AccountConfig:
        acfg = _base_account_config(config, transport_id)
        acfg.idUri = f"sip:{username}@{address}"
        acfg.sipConfig.proxies.append(f"sip:{config.bind_address}:{config.sip_port};lr")
        acfg.sipConfig.authCreds.append(pj.AuthCredInfo("digest", "*", username, 0, password))
        return acfg

    calls_config = trunk_config()
    calls_config.priority = _TRUNK_CALLS_PRIORITY
    calls = ServiceAccount(on_incoming)
    calls.create(calls_config)
    registration_config = trunk_config()
    registration_config.regConfig.registrarUri = f"sip:{address}"
    registration_config.regConfig.timeoutSec = 300
    registration_config.regConfig.retryIntervalSec = 30
    registration_config.sipConfig.contactForced = f"<{edge_uri(config, username)}>"
    account = TrunkAccount(on_incoming)
    account.calls = calls
    account.create(registration_config)
    return account


def create_outbound_account(config: BoxConfig, transport_id: int, on_incoming) -> ServiceAccount:
    """Calls to numbers out through a peer trunk: every request goes by way of the edge. It has the
    service account's identity, so pjsua2 gives an INVITE the older of the two; should it ever give
    this one, the call is still the engine's (ServiceAccount)."""
    acfg = _base_account_config(config, transport_id)
    acfg.idUri = f"sip:callbox@{config.bind_address}:{config.engine_port}"
    acfg.sipConfig.proxies.append(f"sip:{config.bind_address}:{config.sip_port};lr")
    account = ServiceAccount(on_incoming)
    account.create(acfg)
    return account
