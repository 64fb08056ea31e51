"""Provider trunks: outbound registration with digest auth through the edge, and a registering
provider's calls both ways."""

import re
import subprocess

import pytest

from firmware.store import connect
from tests.support.ports import free_port
from tests.support.sipp import background_sipp, run_sipp, scenario_path

pytestmark = [pytest.mark.sip, pytest.mark.slow]


def test_register_trunk_authenticates_at_the_provider(box, tmp_path):
    port = free_port()
    with background_sipp("provider_registrar.xml", local_port=port, calls=1, timeout=20,
                         workdir=tmp_path) as provider:
        trunk = box.api("POST", "/trunks", {"name": "provider", "type": "register", "address": f"127.0.0.1:{port}",
                                            "username": "trunkuser", "password": "trunk-pw-42"}, expect=201)
        result = provider.wait(20)
    assert result.returncode == 0, result.explain() + box.logs()
    assert "password" not in box.api("GET", f"/trunks/{trunk['id']}", expect=200)
    assert "trunk-pw-42" not in box.logs(tail=10000)
    box.api("DELETE", f"/trunks/{trunk['id']}", expect=204)


def test_a_new_trunk_is_trusted_by_the_edge_at_once(box):
    """Its address is exempt from flood bans as soon as the API has answered."""
    trunk = box.api("POST", "/trunks", {"name": "second carrier", "type": "peer", "address": "127.0.0.9:5077"},
                    expect=201)
    dump = subprocess.run(["kamcmd", "-s", f"unix:{box.data / 'run' / 'kamailio_ctl'}", "permissions.addressDump"],
                          capture_output=True, text=True, timeout=5).stdout
    assert "127.0.0.9" in dump
    box.api("DELETE", f"/trunks/{trunk['id']}", expect=204)


# --- a registering provider's calls, both ways (issue 8, finding 8) ---------------------------------

PROVIDER_USER, PROVIDER_PASSWORD = "4930900", "provider-pw-7"    # as in sipp/provider.xml


def provider_host() -> str:
    """A loopback address of the provider's own, where it listens on 5060 as providers do: the trunk
    is then configured by address alone, as usual, and its callers may send from any port of it."""
    import random
    import socket
    for _ in range(100):
        host = f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind((host, 5060))
            except OSError:
                continue
        return host
    raise RuntimeError("no loopback address with 5060 free")


BYE_ANSWER_MS = 1500


@pytest.fixture
def provider(box, tmp_path):
    """A registering provider (sipp/provider.xml, -m 2: one registration, one call from the box) and
    its trunk; yields (trunk, SIPp, the Contact the box registered)."""
    yield from registering_provider(box, tmp_path, "provider.xml")


@pytest.fixture
def provider_slow_to_end(box, tmp_path):
    """The provider, answering the box's BYE after BYE_ANSWER_MS: the box's call lives on in pjsua2
    meanwhile (a provider on a loaded network or machine does that too)."""
    scenario = tmp_path / "provider_slow_to_end.xml"
    text = scenario_path("provider.xml").read_text()
    bye = '<recv request="BYE"/>\n'
    assert text.count(bye) == 1
    scenario.write_text(text.replace(bye, f'{bye}  <pause milliseconds="{BYE_ANSWER_MS}"/>\n'))
    yield from registering_provider(box, tmp_path, scenario)


def registering_provider(box, tmp_path, scenario):
    host = provider_host()
    with background_sipp(scenario, local_ip=host, local_port=5060, calls=2, timeout=60,
                         media_port=free_port(span=3), workdir=tmp_path) as sipp:
        trunk = box.api("POST", "/trunks", {"name": "registering provider", "type": "register", "address": host,
                                            "username": PROVIDER_USER, "password": PROVIDER_PASSWORD}, expect=201)
        box.wait_for(lambda: f"trunk registration sip:{PROVIDER_USER}@{host}: 200" in box.logs(tail=1000),
                     timeout=15, what="the trunk's registration")
        contact = re.search(r"registered contact (\S+)", sipp.files.log.read_text()).group(1)
        yield trunk, sipp, contact, host
    box.api("DELETE", f"/trunks/{trunk['id']}")          # unless the test deleted it


def digest_is_valid(credentials: str, method: str, password: str, *, realm: str, nonce: str) -> bool:
    """An RFC 2617 digest answer (MD5, no qop: the challenge offered none) to the given challenge."""
    import hashlib

    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()

    pairs = re.findall(r'(\w+)=("(?:[^"\\]|\\.)*"|[^,\s]+)', credentials.removeprefix("Digest "))
    params = {name.lower(): value.strip('"') for name, value in pairs}
    if (params.get("realm"), params.get("nonce"), params.get("username")) != (realm, nonce, PROVIDER_USER):
        return False
    secret = md5(f"{PROVIDER_USER}:{realm}:{password}")
    return params.get("response") == md5(f"{secret}:{nonce}:{md5(method + ':' + params.get('uri', ''))}")


def closed_call(box, callee: str) -> dict:
    """The closed CDR of the call to `callee`, from the store (the API does not show the trunk)."""
    def read():
        with connect(box.data / "callbox.db") as conn:
            row = conn.execute("SELECT outcome, cause, trunk_id FROM calls WHERE callee = ? AND outcome IS NOT NULL",
                               (callee,)).fetchone()
        return dict(row) if row else None
    return box.wait_for(read, what=f"the CDR of the call to {callee}")


def contact_hostport(contact: str) -> tuple[str, str, int]:
    """'sip:4930900@127.0.0.1:5060;ob' -> ('4930900', '127.0.0.1', 5060)."""
    match = re.fullmatch(r"sips?:([^@]+)@([^:;>]+):(\d+)(?:;.*)?", contact)
    assert match, contact
    return match.group(1), match.group(2), int(match.group(3))


def overflowing_to_a_number(box, provider, did: str, number: str, name: str, tmp_path, hold_ms: int) -> dict:
    """A queue that overflows to `number` (no agent logged in) and a route from `did` to it; the
    provider's SIPp call to that DID, sent to the Contact the box registered (R-URI user: the
    registration's user name, the DID in To). Returns run_sipp's or background_sipp's arguments."""
    _, _, contact, provider_ip = provider
    user, _, _ = contact_hostport(contact)
    queue = box.api("POST", "/queues", {"name": name, "settings": {"overflow": [
        {"condition": "no-agent-logged-in", "destination": {"kind": "number", "target": number}}]}}, expect=201)
    box.api("POST", "/inbound-routes", {"did": did, "queue_id": queue["id"]}, expect=201)
    numbers = tmp_path / "numbers.csv"
    numbers.write_text(f"SEQUENTIAL\n{did};\n")
    return dict(local_ip=provider_ip, local_port=free_port(provider_ip), service=user, inf=numbers,
                media_port=free_port(span=3), timeout=30, workdir=tmp_path, extra=("-d", str(hold_ms)))


def test_a_registering_provider_calls_the_box_at_its_contact_and_gets_a_number_dialled_out(
        box, center, provider, tmp_path):
    """Inbound: the provider sends the INVITE to the Contact the box registered, with the registration's
    user name in the request URI and the number called in To; the box routes it by To. Outbound: the
    queue's overflow dials a number through the same trunk, and the box answers the provider's 407
    with the trunk's credentials (sipp/provider.xml checks the digest)."""
    trunk, sipp, contact, _ = provider
    user, host, port = contact_hostport(contact)
    call_from_provider = overflowing_to_a_number(box, provider, "4930801", "+46701234567", "to the mobile",
                                                 tmp_path, hold_ms=6000)
    result = run_sipp("provider_call.xml", f"{host}:{port}", **call_from_provider)
    assert result.returncode == 0, result.explain() + box.logs()
    provided = sipp.wait(15)
    assert provided.returncode == 0, provided.explain() + box.logs()
    answer = re.search(r"call with Proxy-Authorization: (.*)", provided.log)
    assert answer and digest_is_valid(answer.group(1), "INVITE", PROVIDER_PASSWORD, realm="provider.example",
                                      nonce="1f4d8e2a6c"), provided.log
    call = closed_call(box, "4930801")
    # the caller hung up while talking to the number: the provider had answered the box's INVITE
    assert (call["outcome"], call["cause"], call["trunk_id"]) == ("overflowed", "caller-hangup", trunk["id"])
    assert "the number is To's" in box.logs(tail=1000)
    # the box registered the edge's address, which the provider reaches (the engine listens on loopback)
    assert (user, host, port) == (PROVIDER_USER, "127.0.0.1", box.sip_port)


def test_a_registering_trunk_deleted_during_its_call_leaves_the_call_alone(box, center, provider_slow_to_end,
                                                                          tmp_path):
    """The registration ends at once, the call's account lives until the call has ended: pjsua2 would
    delete it under the call by force ("deleting account 2 while call 0 is still active").

    The call has ended only when the provider has answered the box's BYE: the engine released the
    call's legs, and with them the account's last holder, at once, so a provider slower to answer
    than the engine's turn (under load; here always) saw the account deleted under the call."""
    provider = provider_slow_to_end
    trunk, sipp, contact, _ = provider
    _, host, port = contact_hostport(contact)
    call_from_provider = overflowing_to_a_number(box, provider, "4930802", "+46812345", "to the office",
                                                 tmp_path, hold_ms=8000)
    with background_sipp("provider_call.xml", remote=f"{host}:{port}", **call_from_provider) as caller:
        box.wait_for(lambda: "call with Proxy-Authorization" in sipp.files.log.read_text(), timeout=15,
                     what="the provider to answer the box's call")
        box.api("DELETE", f"/trunks/{trunk['id']}", expect=204)
        box.wait_for(lambda: sipp.files.messages.read_text().count("REGISTER sip:") > 2, timeout=10,
                     what="the trunk's registration to end")
        assert caller.wait(20).returncode == 0, caller.wait(1).explain() + box.logs()
    assert sipp.wait(10).returncode == 0, sipp.wait(1).explain() + box.logs()      # the call ended by BYE
    assert "still active" not in box.logs(tail=1000)


def test_a_call_to_the_registration_user_name_is_an_ordinary_call(box, center, provider, tmp_path):
    """The finding as reported: a call from a peer to the number that is also a registering trunk's
    user name got SIP 500 (pjsua2 gave it to the registration's account, which takes no calls)."""
    queue = box.api("POST", "/queues", {"name": "main number"}, expect=201)
    box.api("POST", "/inbound-routes", {"did": PROVIDER_USER, "queue_id": queue["id"]}, expect=201)
    # The peer addresses the box by name, as a peer on the network does: pjsua2 then found the
    # registration's account a better fit (same user name) than the engine's own (127.0.0.1).
    scenario = tmp_path / "peer_call_by_name.xml"
    scenario.write_text(scenario_path("trunk_call.xml").read_text().replace(
        "To: <sip:[service]@[remote_ip]:[remote_port]>", "To: <sip:[service]@callbox.example>"))
    result = run_sipp(scenario, f"127.0.0.1:{box.sip_port}", local_port=center["trunk_port"],
                      service=PROVIDER_USER, media_port=free_port(span=3), timeout=30, workdir=tmp_path,
                      extra=("-d", "2000"))
    assert result.returncode == 0, result.explain() + box.logs()
    call = closed_call(box, PROVIDER_USER)
    assert (call["outcome"], call["trunk_id"]) == ("abandoned", center["trunk"]["id"])
