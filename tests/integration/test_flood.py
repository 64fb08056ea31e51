"""A SIP flood from one address while a bridged call is in progress (issue 8: "a flood with calls in
progress"), on the conftest box with the edge's default flood limit (pike, 64 requests per 2 s).

The flooder is banned (no reply to anything it sends, for 300 s), the engine never restarts, the
call's RTP keeps flowing both ways during and after the flood (packets counted), and a new call from
another source still completes.
"""

from __future__ import annotations

import secrets
import time

import pytest

from tests.integration.conftest import DID
from tests.support import sip
from tests.support.ports import free_port
from tests.support.rtp import capture
from tests.support.sipp import run_sipp
from tests.support.torture import BridgedCall, audio_flows

pytestmark = pytest.mark.sip

FLOODER = "127.0.0.66"
BYSTANDER = "127.0.0.67"       # an unknown address that did not flood: still answered
FLOOD_REQUESTS = 600           # ~10x pike's density of 64 per 2 s, sent within about a second
WINDOW = 3.0                   # seconds of RTP counted before and after the flood
CAPTURE_LAG = 1.5              # libpcap hands packets to tcpdump up to a second late
CALL_SECONDS = 90


def flood_request(i: int, src: tuple[str, int], edge: tuple[str, int]) -> bytes:
    """INVITEs (to the box's number) and OPTIONS in turn, each a new transaction."""
    method = "INVITE" if i % 2 else "OPTIONS"
    ruri = f"sip:{DID}@{edge[0]}:{edge[1]}"
    return sip.request(method, ruri, src=src, from_user=f"scanner{secrets.token_hex(2)}").encode()


def test_a_flood_is_banned_while_the_call_in_progress_keeps_its_audio(center, tmp_path):
    box = center["box"]
    edge = ("127.0.0.1", box.sip_port)
    other_trunk_port = free_port()
    box.api("POST", "/trunks", {"name": "other", "type": "peer", "address": f"127.0.0.1:{other_trunk_port}"},
            expect=201)
    call = BridgedCall(center, tmp_path, CALL_SECONDS)
    with capture([call.caller_media, call.phone.media_port], tmp_path) as cap:
        try:
            call.start(cap, DID)
            before = time.time()
            time.sleep(WINDOW)

            # The flood: as fast as one socket sends (a millisecond apart), replies read afterwards.
            flood_start = time.time()
            answered: set[str] = set()         # Call-IDs with a final reply
            with sip.udp_socket(FLOODER, receive_buffer=4 << 20) as flooder:
                flooder.setblocking(False)
                for i in range(FLOOD_REQUESTS):
                    flooder.sendto(flood_request(i, flooder.getsockname(), edge), edge)
                    time.sleep(0.001)
                flood_end = time.time()
                deadline = time.monotonic() + 1.0
                while time.monotonic() < deadline:
                    try:
                        reply = flooder.recvfrom(65535)[0].decode(errors="replace")
                    except BlockingIOError:
                        time.sleep(0.01)
                        continue
                    if sip.status_code(reply) >= 200:
                        answered.add(sip.header(reply, "Call-ID")[0])
                # Banned: even a single, well-formed OPTIONS from it now goes unanswered.
                banned_reply = sip.send_and_wait_final(flooder, flood_request(0, flooder.getsockname(), edge),
                                                       edge, timeout=1.0)
            assert banned_reply is None, f"the flooder is still answered: {banned_reply}"
            # pike's limit is fuzzy (1x to 3x the density): some of the first requests are answered.
            assert 0 < len(answered) <= FLOOD_REQUESTS // 2, f"{len(answered)} of {FLOOD_REQUESTS} answered"
            kamailio_log = (box.data / "log" / "kamailio.log").read_text(errors="replace")
            assert f"flood from {FLOODER}:" in kamailio_log, box.logs("kamailio")
            # Others are not: an unknown address that did not flood is answered.
            assert sip.options(edge, src_host=BYSTANDER, timeout=1.0, attempts=2) == 200

            # A new call from another source (a second trunk) completes while the first goes on.
            new_call = run_sipp("trunk_call.xml", f"127.0.0.1:{box.sip_port}", local_port=other_trunk_port,
                                service=DID, media_port=free_port(span=3), workdir=tmp_path,
                                extra=("-d", "1000"))
            assert new_call.returncode == 0, new_call.explain() + "\n" + box.logs()

            after = time.time()
            time.sleep(WINDOW + CAPTURE_LAG)
            assert call.engine_alive() and box.engine_pid() == call.engine_pid, box.logs()
            assert call.talking(), box.engine_status()
            windows = {"before": call.audio(before, before + WINDOW),
                       "during the flood": call.audio(flood_start, max(flood_end, flood_start + 1.0)),
                       "after": call.audio(after, after + WINDOW)}
            problems = {name: audio_flows(w) for name, w in windows.items() if audio_flows(w)}
            assert not problems, f"{problems}\n" + "\n".join(f"{n}: {w.describe()}" for n, w in windows.items())
        finally:
            call.stop()
