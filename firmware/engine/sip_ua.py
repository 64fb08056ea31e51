"""The engine's SIP side as one object: pjsua2's endpoint, the accounts, and the legs it places.

The engine asks it for a leg to a phone or through a trunk and gets a `legs.Leg` (a `ua.SipLeg`)
or None; the in-memory stand-in for tests is `memory_leg.MemoryUa`. Everything here runs in the
engine's one thread.
"""

from __future__ import annotations

import gc
import logging
import time

import pjsua2 as pj

from firmware.config import BoxConfig
from firmware.engine import ua
from firmware.engine.legs import Leg, LegOwner
from firmware.engine.ua import (SipLeg, TrunkAccount, call_setting_param, create_endpoint, create_outbound_account,
                                create_service_account, create_trunk_account)

log = logging.getLogger(__name__)


class SipUa:
    def __init__(self, config: BoxConfig, on_incoming):
        self.config = config
        self.on_incoming = on_incoming     # (leg, request bytes or None), from onIncomingCall
        self.trunk_accounts: dict[int, TrunkAccount] = {}        # registering trunks, by id

    def start(self) -> None:
        self.endpoint, self.transport_id = create_endpoint(self.config)
        self.account = create_service_account(self.config, self.transport_id, self.on_incoming)
        self.outbound_account = create_outbound_account(self.config, self.transport_id, self.on_incoming)

    def poll(self, ms: int) -> None:
        """pjsua2's events, then the keys pjmedia heard meanwhile, handed to their legs' owners."""
        self.endpoint.libHandleEvents(ms)
        while ua.KEYS_HEARD:
            leg, digit = ua.KEYS_HEARD.popleft()
            leg.deliver_key(digit)

    def end_of_turn(self, now: float) -> None:
        ua.end_of_turn(now)

    def call_phone(self, owner: LegOwner, extension: str, role: str, *, local_uri: str | None = None,
                   headers: dict[str, str] | None = None) -> Leg | None:
        """A phone of the box, by extension (the edge finds where it is registered)."""
        uri = f"sip:{extension}@{self.config.bind_address}:{self.config.sip_port}"
        return self._call(self.account, owner, uri, role, call_setting_param(local_uri=local_uri, headers=headers))

    def dial_out(self, owner: LegOwner, number: str, trunk: dict) -> Leg | None:
        """A call to a number through a trunk, sent by way of the edge; None if it cannot be placed.
        A peer trunk's calls go from the box's anonymous account, a registering trunk's from its own."""
        account = self.outbound_account
        if trunk["type"] == "register":
            # the provider challenges the INVITE: only the trunk's own account has its credentials
            registered = self.trunk_accounts.get(trunk["id"])
            if registered is None or registered.calls is None:
                log.error("cannot dial %s through %s: the trunk has no account (see its registration)",
                          number, trunk["name"])
                return None
            account = registered.calls
        return self._call(account, owner, f"sip:{number}@{trunk['address']}", "outbound", call_setting_param())

    def _call(self, account: pj.Account, owner: LegOwner, uri: str, role: str, prm: pj.CallOpParam) -> Leg | None:
        leg = SipLeg(account, role)
        leg.owner = owner
        try:
            leg.makeCall(uri, prm)
        except pj.Error as exc:
            log.warning("cannot call %s: %s", uri, exc.info())
            leg.release()
            return None
        return leg

    def sync_trunks(self, trunks: list[dict]) -> None:
        """One TrunkAccount (registration and calls, ua.create_trunk_account) per registering trunk.
        (A trunk is not edited, only created and deleted.)"""
        wanted = {t["id"]: t for t in trunks if t["type"] == "register"}
        for trunk_id in list(self.trunk_accounts):
            if trunk_id not in wanted:
                # the registration ends; its calls account lives on in the legs of its calls (SipLeg.account)
                ua.RETIRED.append(self.trunk_accounts.pop(trunk_id))
        for trunk_id, trunk in wanted.items():
            if trunk_id not in self.trunk_accounts:
                try:
                    self.trunk_accounts[trunk_id] = create_trunk_account(
                        self.config, self.transport_id, trunk["address"], trunk["username"] or "",
                        trunk["password"] or "", self.on_incoming)
                except pj.Error as exc:
                    log.error("trunk %s: registration not started: %s", trunk["name"], exc.info())

    def trunk_registrations(self) -> dict[int, dict]:
        """The last registration answer of each registering trunk, by id."""
        return {trunk_id: dict(account.registration) for trunk_id, account in self.trunk_accounts.items()}

    def pump(self, seconds: float) -> None:
        """Lets pjsua2 work for a while (the BYEs of a stop go out)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.endpoint.libHandleEvents(10)

    def shutdown(self) -> None:
        """After every call was hung up and its Python objects dropped: pjsua2 goes, in order."""
        ua.LINGERING.clear()
        ua.HELD_ACCOUNTS.clear()
        ua.RETIRED.clear()
        ua.KEYS_HEARD.clear()              # SipLegs held there must not outlive libDestroy
        self.trunk_accounts.clear()
        del self.account
        del self.outbound_account
        # A pjsua2 Call still alive after libDestroy aborts the process: collect every cycle first.
        gc.collect()
        self.endpoint.libDestroy()
