"""The SIP edge (rootfs/etc/kamailio/kamailio.cfg) with a real kamailio, driven by SIPp and raw UDP.

One kamailio for the module, on free ports, with a fresh data directory holding agent 1001
(and 1002, who never registers). SIPp plays phones, trunks and the engine.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import select
import socket
import time

import pytest

from firmware.config import BoxConfig
from firmware.store import open_store, queries
from tests.support import sip
from tests.support.kamailio import data_dir_env, running_kamailio
from tests.support.ports import free_port, free_ports
from tests.support.sipp import background_sipp, run_sipp

pytestmark = pytest.mark.sip

EXT, PASSWORD = "1001", "s3cret-pw"
SILENT_EXT = "1002"      # an agent whose phone never registers
OTHER_EXT, OTHER_PASSWORD = "1003", "third-pw"   # for agent-to-agent calls
TRUNK_HOST = "127.0.0.3"   # a configured peer trunk: all a provider's calls come from one address


@pytest.fixture(scope="module")
def edge(tmp_path_factory):
    data = tmp_path_factory.mktemp("callbox-data")
    with data_dir_env(data):
        conn = open_store()
        queries.create_agent(conn, "Ann", EXT, PASSWORD)
        queries.create_agent(conn, "Bob", SILENT_EXT, "other-pw")
        queries.create_agent(conn, "Cat", OTHER_EXT, OTHER_PASSWORD)
        queries.create_trunk(conn, "carrier", "peer", TRUNK_HOST)
        conn.close()
    sip_port, engine_port = free_ports(2)
    config = dataclasses.replace(BoxConfig.from_env(), bind_address="127.0.0.1",
                                 sip_port=sip_port, engine_port=engine_port)
    with running_kamailio(config, data) as k:
        yield k


@pytest.fixture
def check_log(edge):
    """Fails the test if kamailio died; appends its log tail to a failure either way."""
    yield
    assert edge.alive(), f"kamailio died:\n{edge.log()}"


def register(edge, tmp_path, *, ext=EXT, password=PASSWORD, scenario="register.xml", port=None):
    return run_sipp(scenario, edge.remote, local_port=port or free_port(), service=ext,
                    auth_password=password, workdir=tmp_path)


def contacts(edge) -> str:
    return edge.kamcmd("ul.dump")


# --- registrar --------------------------------------------------------------------------------

def test_agent_registers_with_digest_auth(edge, tmp_path, check_log):
    port = free_port()
    result = register(edge, tmp_path, port=port)
    assert result.returncode == 0, result.explain() + "\n--- kamailio ---\n" + edge.log()
    assert f"sip:{EXT}@127.0.0.1:{port}" in contacts(edge)


def test_wrong_password_is_refused(edge, tmp_path, check_log):
    port = free_port()
    refused = register(edge, tmp_path, password="not-the-password", scenario="register_refused.xml", port=port)
    assert refused.returncode == 0, refused.explain() + "\n--- kamailio ---\n" + edge.log()
    # The same attempt with the scenario that expects success must fail: the check can fail.
    accepted = register(edge, tmp_path, password="not-the-password", port=port)
    assert accepted.returncode == 1, accepted.explain()
    assert "403" in accepted.errors, accepted.explain()
    assert f"127.0.0.1:{port}" not in contacts(edge)


def test_unknown_user_is_refused(edge, tmp_path, check_log):
    result = register(edge, tmp_path, ext="4711", password="whatever", scenario="register_refused.xml")
    assert result.returncode == 0, result.explain() + "\n--- kamailio ---\n" + edge.log()
    # The AoR, not a bare "4711": a contact's port (127.0.0.1:47115) may contain those digits.
    assert "AoR: 4711" not in contacts(edge)


def test_register_for_another_extension_is_refused(edge, check_log):
    """Valid credentials of 1001 do not register a contact for 1002 (auth user must equal To user)."""
    with sip.udp_socket() as s:
        ruri = f"sip:{edge.remote}"
        own = with_digest(edge, s, "REGISTER", ruri, EXT, PASSWORD, from_user=EXT, to_user=EXT)
        assert own and sip.status_code(own) == 200, own  # the helper's digest is right...
        other = with_digest(edge, s, "REGISTER", ruri, EXT, PASSWORD, from_user=SILENT_EXT, to_user=SILENT_EXT)
    assert other and sip.status_code(other) == 403, other  # ...but not for somebody else
    assert f"AoR: {SILENT_EXT}" not in contacts(edge)


def digest_header(name: str, user: str, password: str, method: str, uri: str, nonce: str) -> str:
    """A digest answer without qop (RFC 2069 style, which kamailio accepts alongside qop=auth)."""
    md5 = lambda text: hashlib.md5(text.encode()).hexdigest()  # noqa: E731
    response = md5(f"{md5(f'{user}:callbox:{password}')}:{nonce}:{md5(f'{method}:{uri}')}")
    return (f'{name}: Digest username="{user}", realm="callbox", nonce="{nonce}", uri="{uri}", '
            f'response="{response}", algorithm=MD5')


def with_digest(edge, sock, method: str, ruri: str, user: str, password: str, **request) -> str | None:
    """Sends a request, answers the 401/407 challenge, sends it again; the final reply to that.
    For INVITE the final reply may come later (use sip.wait_final): then this returns None."""
    first = sip.send_and_wait_final(sock, sip.request(method, ruri, src=sock.getsockname(), **request),
                                    edge.address)
    assert first and sip.status_code(first) in (401, 407), first
    name = "Authorization" if sip.status_code(first) == 401 else "Proxy-Authorization"
    nonce = re.search(r'nonce="([^"]+)"', first).group(1)
    answer = digest_header(name, user, password, method, ruri, nonce)
    again = sip.request(method, ruri, src=sock.getsockname(), extra_headers=answer, **request)
    if method == "INVITE":
        sock.sendto(again.encode(), edge.address)
        return None
    return sip.send_and_wait_final(sock, again, edge.address)


# --- robustness -------------------------------------------------------------------------------

def test_garbage_and_malformed_requests_do_not_disturb(edge, tmp_path, check_log):
    with sip.udp_socket() as s:
        src = s.getsockname()
        # Not SIP at all: dropped without a reply.
        assert sip.send_and_wait_final(s, os.urandom(700), edge.address, timeout=0.3) is None
        assert sip.send_and_wait_final(s, b"\x00\r\n\r\nSIP/9.9 hello", edge.address, timeout=0.3) is None
        # A request whose CSeq names another method: sanity answers 400.
        bad_cseq = sip.request("OPTIONS", f"sip:{edge.remote}", src=src, cseq_method="INVITE")
        reply = sip.send_and_wait_final(s, bad_cseq, edge.address)
        assert reply and sip.status_code(reply) == 400, reply
        # Required headers missing (no From, To, Call-ID): dropped or refused, never relayed.
        headless = (f"INVITE sip:5551234@{edge.remote} SIP/2.0\r\n"
                    f"Via: SIP/2.0/UDP {src[0]}:{src[1]};branch=z9hG4bKbroken\r\n"
                    "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")
        reply = sip.send_and_wait_final(s, headless, edge.address, timeout=0.5)
        assert reply is None or 400 <= sip.status_code(reply) < 500, reply
        # Content-Length larger than the body.
        short = sip.request("OPTIONS", f"sip:{edge.remote}", src=src).replace(
            "Content-Length: 0", "Content-Length: 500")
        reply = sip.send_and_wait_final(s, short, edge.address, timeout=0.5)
        assert reply is None or 400 <= sip.status_code(reply) < 500, reply
    # Junk over TCP too.
    with socket.create_connection(edge.address, timeout=2) as t:
        t.sendall(b"GET / HTTP/1.0\r\n\r\n" + os.urandom(300))
    assert edge.alive(), edge.log()
    result = register(edge, tmp_path)
    assert result.returncode == 0, result.explain() + "\n--- kamailio ---\n" + edge.log()


def test_options_to_the_edge_is_answered(edge, check_log):
    assert sip.options(edge.address) == 200


def flood(edge, sock, count: int = 600) -> None:
    for _ in range(count):
        sock.sendto(sip.request("OPTIONS", f"sip:{edge.remote}", src=sock.getsockname()).encode(), edge.address)


def probe(edge, sock, attempts: int = 6) -> int | None:
    """OPTIONS from sock, retransmitted every 0.5 s (a flood overflows kamailio's socket buffer,
    so one request may well be lost); the status code of the answer, or None."""
    msg = sip.request("OPTIONS", f"sip:{edge.remote}", src=sock.getsockname())
    for _ in range(attempts):
        reply = sip.send_and_wait_final(sock, msg, edge.address, timeout=0.5)
        if reply:
            return sip.status_code(reply)
    return None


def drain(sock, quiet: float = 0.5) -> None:
    """Reads whatever is still coming, so no late reply lands on the next test's socket."""
    sock.settimeout(quiet)
    try:
        while sock.recvfrom(65535):
            pass
    except TimeoutError:
        pass


def test_flood_bans_the_source_but_not_the_engine(edge, check_log):
    """pike + htable: a flooding source (even on loopback) is banned; the engine never is."""
    # 127.0.0.2: loopback, not the engine, and not the 127.0.0.1 of the other tests.
    with sip.udp_socket("127.0.0.2") as flooder:
        flood(edge, flooder)
        drain(flooder)
        assert probe(edge, flooder) is None, "the flooder is still answered"
    assert "flood from 127.0.0.2" in edge.log(300)
    assert sip.options(edge.address, attempts=6) == 200, "another loopback source suffered from the ban"
    # The engine (127.0.0.1:<engine port>) floods just as hard and is still answered.
    with sip.udp_socket("127.0.0.1", edge.config.engine_port) as engine:
        flood(edge, engine)
        drain(engine)
        assert probe(edge, engine) == 200, edge.log()
        drain(engine)
    assert "flood from 127.0.0.1" not in edge.log(300)


def test_a_configured_trunk_is_not_taken_for_a_flood(edge, check_log):
    with sip.udp_socket(TRUNK_HOST) as trunk:
        flood(edge, trunk)
        drain(trunk)
        assert probe(edge, trunk) == 200, edge.log()
        drain(trunk)
    assert f"flood from {TRUNK_HOST}" not in edge.log(300)


def test_a_trunk_added_later_is_trusted_after_a_reload(edge, check_log):
    host = "127.0.0.4"
    with data_dir_env(edge.data_dir):
        conn = open_store()
        queries.create_trunk(conn, "late carrier", "peer", f"{host}:5099")
        conn.close()
    assert host not in edge.kamcmd("permissions.addressDump")
    edge.kamcmd("permissions.addressReload")
    assert host in edge.kamcmd("permissions.addressDump")


# --- calls ------------------------------------------------------------------------------------

def test_call_from_outside_goes_to_the_engine_with_its_real_source(edge, tmp_path, check_log):
    engine_port = edge.config.engine_port
    caller_port = free_port()
    with background_sipp("engine_uas.xml", local_port=engine_port, workdir=tmp_path) as engine:
        caller = run_sipp("trunk_invite.xml", edge.remote, local_port=caller_port, service="5551234",
                          workdir=tmp_path)
        answered = engine.wait(10)
    assert caller.returncode == 0, caller.explain() + "\n--- kamailio ---\n" + edge.log()
    assert answered.returncode == 0, answered.explain() + "\n--- kamailio ---\n" + edge.log()
    # The engine saw exactly one X-Callbox-Source, the real one; the forged 192.0.2.66 is gone.
    assert answered.log.strip() == f"X-Callbox-Source: 127.0.0.1:{caller_port}", answered.log


def test_a_trunk_caller_whose_number_is_an_extension_is_not_taken_for_the_agent(edge, check_log):
    """A customer calling from "1001" through a configured trunk: no challenge, and to the engine
    as a trunk call (no X-Callbox-Agent). The same From from anywhere else is challenged."""
    ruri = f"sip:5551234@{edge.remote}"
    with sip.udp_socket("127.0.0.1", edge.config.engine_port) as engine, sip.udp_socket(TRUNK_HOST) as trunk:
        trunk_port = trunk.getsockname()[1]
        trunk.sendto(sip.request("INVITE", ruri, src=trunk.getsockname(), from_user=EXT).encode(), edge.address)
        engine.settimeout(2)
        forwarded = engine.recvfrom(65535)[0].decode()
        engine.sendto(sip.reply(forwarded, 486, "Busy Here").encode(), edge.address)
        final = sip.wait_final(trunk, timeout=2)
    assert sip.header(forwarded, "X-Callbox-Agent") == [], forwarded
    assert sip.header(forwarded, "X-Callbox-Source") == [f"{TRUNK_HOST}:{trunk_port}"], forwarded
    assert final and sip.status_code(final) == 486, final
    with sip.udp_socket() as stranger:
        invite = sip.request("INVITE", ruri, src=stranger.getsockname(), from_user=EXT)
        assert sip.status_code(sip.send_and_wait_final(stranger, invite, edge.address)) == 407


def test_call_from_an_agent_is_authenticated_and_goes_to_the_engine(edge, check_log):
    """From an extension: 407 first; with the right digest the engine gets the call, told which
    agent it is, without the credentials. A wrong digest gets 403."""
    ruri = f"sip:5551234@{edge.remote}"
    with sip.udp_socket("127.0.0.1", edge.config.engine_port) as engine, sip.udp_socket() as phone:
        phone_port = phone.getsockname()[1]
        invite = sip.request("INVITE", ruri, src=phone.getsockname(), from_user=EXT)
        challenge = sip.send_and_wait_final(phone, invite, edge.address)
        assert challenge and sip.status_code(challenge) == 407, challenge
        assert 'realm="callbox"' in challenge
        nonce = re.search(r'nonce="([^"]+)"', challenge).group(1)

        wrong = digest_header("Proxy-Authorization", EXT, "bad-guess", "INVITE", ruri, nonce)
        refused = sip.send_and_wait_final(
            phone, sip.request("INVITE", ruri, src=phone.getsockname(), from_user=EXT, extra_headers=wrong),
            edge.address)
        assert refused and sip.status_code(refused) == 403, refused

        right = digest_header("Proxy-Authorization", EXT, PASSWORD, "INVITE", ruri, nonce)
        phone.sendto(sip.request("INVITE", ruri, src=phone.getsockname(), from_user=EXT,
                                 extra_headers=right).encode(), edge.address)
        engine.settimeout(2)
        forwarded = engine.recvfrom(65535)[0].decode()
        engine.sendto(sip.reply(forwarded, 486, "Busy Here").encode(), edge.address)
        final = sip.wait_final(phone, timeout=2)
    assert forwarded.startswith(f"INVITE {ruri} "), forwarded
    assert sip.header(forwarded, "X-Callbox-Agent") == [EXT], forwarded
    assert sip.header(forwarded, "X-Callbox-Source") == [f"127.0.0.1:{phone_port}"], forwarded
    assert sip.header(forwarded, "Proxy-Authorization") == [], forwarded
    assert final and sip.status_code(final) == 486, final


def test_agent_calls_a_registered_agent_directly(edge, check_log):
    """Agent to agent: authenticated, then straight to the other phone's contact, not via the engine."""
    with sip.udp_socket() as callee, sip.udp_socket() as caller:
        callee_port = callee.getsockname()[1]
        registered = with_digest(edge, callee, "REGISTER", f"sip:{edge.remote}", OTHER_EXT, OTHER_PASSWORD,
                                 from_user=OTHER_EXT, to_user=OTHER_EXT)
        assert registered and sip.status_code(registered) == 200, registered
        ruri = f"sip:{OTHER_EXT}@{edge.remote}"
        with_digest(edge, caller, "INVITE", ruri, EXT, PASSWORD, from_user=EXT)
        callee.settimeout(2)
        ringing = callee.recvfrom(65535)[0].decode()
        callee.sendto(sip.reply(ringing, 486, "Busy Here").encode(), edge.address)
        final = sip.wait_final(caller, timeout=2)
    assert ringing.startswith(f"INVITE sip:{OTHER_EXT}@127.0.0.1:{callee_port} "), ringing
    assert sip.header(ringing, "Record-Route"), ringing      # BYE and ACK will pass the edge
    assert not re.search(r"^X-Callbox-|^Proxy-Authorization", ringing, re.M | re.I), ringing
    assert final and sip.status_code(final) == 486, final


def test_engine_rings_a_registered_agent(edge, tmp_path, check_log):
    phone_port = free_port()
    registered = register(edge, tmp_path, port=phone_port)
    assert registered.returncode == 0, registered.explain()
    with background_sipp("agent_uas.xml", local_port=phone_port, workdir=tmp_path) as phone:
        call = run_sipp("engine_invite.xml", edge.remote, local_port=edge.config.engine_port,
                        service=EXT, workdir=tmp_path)
        answered = phone.wait(10)
    assert call.returncode == 0, call.explain() + "\n--- kamailio ---\n" + edge.log()
    assert answered.returncode == 0, answered.explain() + "\n--- kamailio ---\n" + edge.log()


@pytest.mark.parametrize("ext, status", [(SILENT_EXT, 480), ("4711", 404)])
def test_engine_call_to_an_unreachable_extension(edge, ext, status, check_log):
    """An agent who is not registered: 480; no such extension: 404."""
    with sip.udp_socket("127.0.0.1", edge.config.engine_port) as s:
        invite = sip.request("INVITE", f"sip:{ext}@{edge.remote}", src=s.getsockname(), from_user="queue")
        reply = sip.send_and_wait_final(s, invite, edge.address)
    assert reply and sip.status_code(reply) == status, reply


def test_engine_is_trusted_by_port_not_by_address(edge, check_log):
    """An INVITE from 127.0.0.1 on another port is not the engine's: it is sent to the engine."""
    with sip.udp_socket("127.0.0.1", edge.config.engine_port) as engine, sip.udp_socket() as s:
        caller_port = s.getsockname()[1]
        invite = sip.request("INVITE", f"sip:{EXT}@{edge.remote}", src=s.getsockname(), from_user="queue",
                             extra_headers="X-Callbox-Agent: 1001")
        s.sendto(invite.encode(), edge.address)
        engine.settimeout(2)
        forwarded = engine.recvfrom(65535)[0].decode()
        # The stand-in engine refuses the call; the caller must get that answer.
        engine.sendto(sip.reply(forwarded, 404, "Not Found").encode(), edge.address)
        final = sip.wait_final(s, timeout=2)
    assert forwarded.startswith(f"INVITE sip:{EXT}@{edge.remote} "), forwarded
    assert sip.header(forwarded, "X-Callbox-Source") == [f"127.0.0.1:{caller_port}"], forwarded
    assert sip.header(forwarded, "X-Callbox-Agent") == [], forwarded  # forged, removed
    assert final and sip.status_code(final) == 404, final


# --- in-dialog requests (issue 8, finding 5) ------------------------------------------------------

FORGED_NEXT_HOP = ("127.0.0.7", free_port())


@pytest.mark.parametrize("method", ["BYE", "INFO", "INVITE", "ACK"])
def test_an_in_dialog_request_outside_any_dialog_of_the_box_is_not_relayed(edge, method, check_log):
    """A To-tag and a Route of the sender's making, from an unknown address: 404 (an ACK is dropped),
    and nothing reaches the address the Route names (the edge is no open relay)."""
    target = f"sip:{FORGED_NEXT_HOP[0]}:{FORGED_NEXT_HOP[1]};lr"
    with sip.udp_socket(*FORGED_NEXT_HOP) as victim, sip.udp_socket("127.0.0.9") as stranger:
        message = sip.request(method, f"sip:someone@{FORGED_NEXT_HOP[0]}:{FORGED_NEXT_HOP[1]}",
                              src=stranger.getsockname(),
                              extra_headers=f"Route: <sip:{edge.remote};lr>, <{target}>")
        message = re.sub(r"(\r\nTo: <[^>]*>)", r"\1;tag=forged-to-tag", message, count=1)
        reply = sip.send_and_wait_final(stranger, message, edge.address, timeout=1.0)
        victim.settimeout(1.0)
        try:
            relayed = victim.recvfrom(65535)[0].decode(errors="replace")
        except TimeoutError:
            relayed = None
    assert relayed is None, f"the edge relayed a forged {method}:\n{relayed}"
    if method == "ACK":
        assert reply is None, reply
    else:
        assert reply and sip.status_code(reply) == 404, reply


# --- octets pjsip cannot read (issue 8, finding 6) -----------------------------------------------

UNREADABLE = {
    "From user not UTF-8": (b"From: <sip:tester@", b"From: <sip:te\xff\xc3(ster@"),
    "To user not ASCII": (b"To: <sip:4930100@", "To: <sip:493010Ö@".encode()),
    "NUL in a header": (b"Max-Forwards: 70", b"Max-Forwards: 70\r\nSubject: a\x00b"),
}
# Not UTF-8 where the engine reads it itself (and stores it escaped, test_hostile_sip.py): passed on.
PASSED_ON = {
    "From display name UTF-8": (b"From: <", "From: \"Åsa Öberg 王\" <".encode()),
    "To display name not UTF-8": (b"To: <", b"To: \"\xc0\xaf\" <"),
    "Call-ID not UTF-8": (b"Call-ID: ", b"Call-ID: \xed\xa0\x80"),
}


@pytest.mark.parametrize("case", UNREADABLE)
def test_a_request_pjsip_could_not_answer_gets_400_at_the_edge(edge, case, check_log):
    """A From or To URI with raw octets past ASCII, or a NUL in a header: the engine's pjsip could not
    even answer it (the caller got the edge's 408 after 10 s). 400 at once, nothing reaches the engine."""
    plain, bad = UNREADABLE[case]
    with sip.udp_socket("127.0.0.1", edge.config.engine_port) as engine, sip.udp_socket(TRUNK_HOST) as trunk:
        engine.settimeout(0.5)
        invite = sip.request("INVITE", f"sip:4930100@{edge.remote}", src=trunk.getsockname()).encode()
        assert plain in invite
        started = time.monotonic()
        reply = sip.send_and_wait_final(trunk, invite.replace(plain, bad, 1), edge.address)
        assert reply and sip.status_code(reply) == 400, reply
        assert time.monotonic() - started < 0.5
        with pytest.raises(TimeoutError):
            engine.recvfrom(65535)


@pytest.mark.parametrize("case", PASSED_ON)
def test_text_past_ascii_outside_uris_goes_on_to_the_engine(edge, case, check_log):
    plain, other = PASSED_ON[case]
    with sip.udp_socket("127.0.0.1", edge.config.engine_port) as engine, sip.udp_socket(TRUNK_HOST) as trunk:
        engine.settimeout(2)
        invite = sip.request("INVITE", f"sip:4930100@{edge.remote}", src=trunk.getsockname()).encode()
        trunk.sendto(invite.replace(plain, other, 1), edge.address)
        relayed = engine.recvfrom(65535)[0]
        assert other in relayed
        engine.sendto(sip.reply(relayed.decode(errors="surrogateescape"), 486, "Busy Here").encode(
            errors="surrogateescape"), edge.address)
        assert sip.status_code(sip.wait_final(trunk)) == 486


# --- overload (issue 8, finding 13) -------------------------------------------------------------

SETUP_LIMIT = 10        # kamailio.cfg's default


def test_past_the_setup_limit_new_calls_get_503_at_once_until_the_engine_answers(edge, check_log):
    """INVITEs relayed to the engine without its final reply count as calls in setup; past the limit a
    new call is refused with 503 and Retry-After straight away, and admitted again once the engine has
    answered one (with a failure or a 200)."""
    with sip.udp_socket("127.0.0.1", edge.config.engine_port) as engine, \
            sip.udp_socket(TRUNK_HOST) as trunk:
        engine.settimeout(2)
        pending = []
        for _ in range(SETUP_LIMIT):
            trunk.sendto(sip.request("INVITE", f"sip:4930100@{edge.remote}", src=trunk.getsockname()).encode(),
                         edge.address)
            pending.append(engine.recvfrom(65535)[0].decode())
        started = time.monotonic()
        refused = sip.send_and_wait_final(
            trunk, sip.request("INVITE", f"sip:4930100@{edge.remote}", src=trunk.getsockname()), edge.address)
        refused_after = time.monotonic() - started
        assert refused and sip.status_code(refused) == 503, refused
        assert sip.header(refused, "Retry-After") == ["5"], refused
        assert refused_after < 0.5
        engine.settimeout(0.3)
        with pytest.raises(socket.timeout):
            engine.recvfrom(65535)         # the refused call never reached the engine

        # The engine answers one setup (busy): there is room for one more call.
        engine.sendto(sip.reply(pending.pop(), 486, "Busy Here").encode(), edge.address)
        assert sip.status_code(sip.wait_final(trunk, timeout=2)) == 486
        trunk.sendto(sip.request("INVITE", f"sip:4930100@{edge.remote}", src=trunk.getsockname()).encode(),
                     edge.address)
        engine.settimeout(2)
        pending.append(engine.recvfrom(65535)[0].decode())
        # An answered call has left setup as well (its dialog goes on).
        engine.sendto(sip.reply(pending.pop(), 200, "OK").encode(), edge.address)
        trunk.sendto(sip.request("INVITE", f"sip:4930100@{edge.remote}", src=trunk.getsockname()).encode(),
                     edge.address)
        pending.append(engine.recvfrom(65535)[0].decode())
        for invite in pending:             # leave no setup pending for the tests after this one
            engine.sendto(sip.reply(invite, 486, "Busy Here").encode(), edge.address)


def test_while_the_engine_says_it_is_busy_new_calls_get_503_and_a_silent_engine_is_forgotten(edge, check_log):
    """The engine tells its load through the edge's htable (firmware/engine/load_report.py): while
    engine_busy is 1 a new call gets 503 at once; at 0, or a few seconds after the last word from the
    engine (one that died while busy), calls go through again."""
    def offer(trunk, engine) -> int:
        """The final status of a new call; the engine refuses it (486) if the edge lets it through.
        By Call-ID on both sides: the edge still retransmits earlier tests' INVITEs to the engine's
        port and their 486s to the trunk (nobody ACKs them here)."""
        invite = sip.request("INVITE", f"sip:4930100@{edge.remote}", src=trunk.getsockname())
        call_id = sip.header(invite, "Call-ID")[0]
        trunk.sendto(invite.encode(), edge.address)
        deadline = time.monotonic() + 0.3
        while (left := deadline - time.monotonic()) > 0:
            engine.settimeout(left)
            try:
                relayed = engine.recvfrom(65535)[0].decode()
            except TimeoutError:
                break
            if relayed.startswith("INVITE ") and sip.header(relayed, "Call-ID") == [call_id]:
                engine.sendto(sip.reply(relayed, 486, "Busy Here").encode(), edge.address)
                break
        final = sip.wait_final(trunk, timeout=1, call_id=call_id)
        assert final is not None, f"no final reply to {call_id}"
        return sip.status_code(final)

    with sip.udp_socket("127.0.0.1", edge.config.engine_port) as engine, sip.udp_socket(TRUNK_HOST) as trunk:
        engine.settimeout(0.3)
        assert offer(trunk, engine) == 486
        edge.kamcmd("htable.seti", "load", "engine_busy", "1")
        assert offer(trunk, engine) == 503
        edge.kamcmd("htable.seti", "load", "engine_busy", "0")
        assert offer(trunk, engine) == 486
        edge.kamcmd("htable.seti", "load", "engine_busy", "1")
        said_busy = time.monotonic()
        assert offer(trunk, engine) == 503
        # kamailio.cfg: autoexpire=3 for the htable load, its expiry timer every second.
        while offer(trunk, engine) == 503 and time.monotonic() - said_busy < 6:
            time.sleep(0.2)
        assert 2.5 < time.monotonic() - said_busy < 6


SETUP_RATE = 65         # kamailio.cfg's default: calls admitted to the engine per second
SETUP_LIMIT = 10        # kamailio.cfg's default: calls in setup at the engine
SETUP_BATCH = SETUP_LIMIT // 2
BURST_BUFFER = 4 << 20


def waiting(sock: socket.socket) -> list[str]:
    """Every datagram waiting on a non-blocking socket."""
    texts = []
    while True:
        try:
            texts.append(sock.recvfrom(65535)[0].decode(errors="replace"))
        except BlockingIOError:
            return texts


@pytest.mark.alone  # a rate measured in calls per second: not beside another test worker
def test_past_the_setup_rate_new_calls_get_503_however_fast_the_engine_answers(edge, check_log):
    """The engine refuses each call at once (486), so none stays in setup; still no more than SETUP_RATE
    calls a second reach it, the others get 503 with Retry-After.

    The calls go in batches smaller than SETUP_LIMIT, the next when each of the last has its final
    reply: so the count of calls in setup never refuses one, and what refuses is the rate (in one burst
    the test's own answers lag and the other limit did the refusing, which hid a dead rate limit).
    The replies (a 100 and a final for each INVITE, the edge's 486s again until ACKed) come faster
    than a test process on a loaded machine reads them: the sockets hold a few MB, and both are
    drained whole at each turn (with the kernel's default buffer, replies were lost at the test's own
    socket, and the full run counted "166 of 195 answered")."""
    calls = 3 * SETUP_RATE
    log_start = edge.log_path.stat().st_size
    with sip.udp_socket("127.0.0.1", edge.config.engine_port, receive_buffer=BURST_BUFFER) as engine, \
            sip.udp_socket(TRUNK_HOST, receive_buffer=BURST_BUFFER) as trunk:
        engine.setblocking(False)
        trunk.setblocking(False)
        finals: dict[str, int] = {}         # by Call-ID: the edge retransmits a 486 nobody ACKs
        reached_engine: set[str] = set()   # Call-IDs: the edge retransmits an INVITE answered late
        sent = 0
        started = time.monotonic()
        while len(finals) < calls and time.monotonic() - started < 5:
            if len(finals) == sent:          # every call sent so far has its final reply
                batch = min(SETUP_BATCH, calls - sent)
                for _ in range(batch):
                    trunk.sendto(sip.request("INVITE", f"sip:4930100@{edge.remote}",
                                             src=trunk.getsockname()).encode(), edge.address)
                sent += batch
            select.select([engine, trunk], [], [], 0.05)
            for invite in waiting(engine):
                if invite.startswith("INVITE "):     # not the edge's ACK for a 486
                    reached_engine.add(sip.header(invite, "Call-ID")[0])
                    engine.sendto(sip.reply(invite, 486, "Busy Here").encode(), edge.address)
            for text in waiting(trunk):
                if sip.status_code(text) >= 200:
                    finals[sip.header(text, "Call-ID")[0]] = sip.status_code(text)
    elapsed = time.monotonic() - started
    seconds = int(elapsed) + 2          # clock seconds the burst can have touched
    assert len(finals) == calls, f"{len(finals)} of {calls} answered"
    finals = list(finals.values())
    assert finals.count(503) >= calls - seconds * SETUP_RATE and finals.count(503) > 0, finals
    assert len(reached_engine) == finals.count(486) <= seconds * SETUP_RATE
    # The rate refused them, not the count of calls in setup (a test slow to answer the INVITEs also
    # fills that one: with the rate limit dead, $shtinc without initval, this test still passed on it).
    with open(edge.log_path, "rb") as log:
        log.seek(log_start)
        refusals = log.read().decode(errors="replace")
    assert refusals.count("(its calls per second admitted)") >= calls - seconds * SETUP_RATE, edge.log()
