"""Conference mixer: sums against a direct per-listener computation, supervisor modes, taps, errors."""

from __future__ import annotations

import random
from array import array

import pytest

from cython_ext import kernel


def pcm(samples) -> bytes:
    return array("h", samples).tobytes()


def samples(data: bytes) -> list[int]:
    return list(array("h", data))


def const(mixer_obj, value: int) -> bytes:
    return pcm([value] * mixer_obj.frame)


def clip(v: int) -> int:
    return max(-32768, min(32767, v))


def impl_of(module) -> str:
    return "py" if ".reference." in module.__name__ else "c"


def direct_mix(listener, parties, frame):
    """What `listener` should hear, computed the O(N^2) way: every other audible party summed."""
    out = []
    for i in range(frame):
        v = 0
        for p in parties:
            if p is listener or p["input"] is None or p["muted"] or p["mode"] == "listen":
                continue
            if p["mode"] == "whisper" and listener["role"] != "agent":
                continue
            v += (p["input"][i] * round(p["speak"] * 4096)) >> 12
        h = round(listener["hear"] * 4096)
        if h != 4096:
            v = clip((v * h) >> 12)
        out.append(clip(v))
    return out


@pytest.mark.parametrize("size", [2, 3, 5, 17, 50])
def test_sums_match_a_direct_computation(mixer, size):
    rng = random.Random(size)
    m = mixer.Mixer(rate=8000, capacity=128)
    conf = m.conference()
    parties = []
    for _k in range(size):
        p = {
            "role": rng.choice(["party", "agent", "supervisor"]),
            "mode": rng.choice(["talk", "talk", "talk", "listen", "whisper"]),
            "speak": rng.choice([1.0, 1.0, 0.5, 2.0, 0.0, 7.5]),
            "hear": rng.choice([1.0, 1.0, 0.25, 3.0]),
            "muted": rng.random() < 0.1,
            "input": None if rng.random() < 0.1 else [rng.randint(-32768, 32767) // rng.choice([1, 8, 64])
                                                      for _ in range(m.frame)],
        }
        p["id"] = m.connect(conf, role=p["role"], mode=p["mode"])
        m.set_gain(p["id"], speak=p["speak"], hear=p["hear"])
        m.set_mute(p["id"], p["muted"])
        if p["input"] is not None:
            m.write(p["id"], pcm(p["input"]))
        parties.append(p)
    m.tick()
    for p in parties:
        assert samples(m.read(p["id"])) == direct_mix(p, parties, m.frame), p


def test_clips_once_at_the_end(mixer):
    m = mixer.Mixer()
    conf = m.conference()
    a, b, c, d = (m.connect(conf) for _ in range(4))
    # +30000 +30000 -30000 heard by d: the sum 30000 fits, although a partial sum would not.
    for conn, value in ((a, 30000), (b, 30000), (c, -30000), (d, 0)):
        m.write(conn, const(m, value))
    m.tick()
    assert set(samples(m.read(d))) == {30000}
    assert set(samples(m.read(c))) == {32767}


def test_many_conferences_in_one_tick_stay_apart(mixer):
    m = mixer.Mixer()
    confs = [[m.connect(c) for _ in range(3)] for c in (m.conference() for _ in range(20))]
    for k, members in enumerate(confs):
        for j, conn in enumerate(members):
            m.write(conn, const(m, 100 * k + j))
    m.tick()
    for k, (x, _y, z) in enumerate(confs):
        assert set(samples(m.read(x))) == {(100 * k + 1) + (100 * k + 2)}
        assert set(samples(m.read(z))) == {(100 * k) + (100 * k + 1)}


def call_with_supervisor(mixer, mode):
    m = mixer.Mixer()
    conf = m.conference()
    customer = m.connect(conf, role="customer")
    agent = m.connect(conf, role="agent")
    sup = m.connect(conf, role="supervisor", mode=mode)
    m.write(customer, const(m, 1))
    m.write(agent, const(m, 10))
    m.write(sup, const(m, 100))
    m.tick()
    return {name: set(samples(m.read(conn))) for name, conn in
            (("customer", customer), ("agent", agent), ("supervisor", sup))}


def test_listen_hears_both_and_is_heard_by_none(mixer):
    assert call_with_supervisor(mixer, "listen") == {"customer": {10}, "agent": {1}, "supervisor": {11}}


def test_whisper_is_heard_by_the_agent_only(mixer):
    assert call_with_supervisor(mixer, "whisper") == {"customer": {10}, "agent": {101}, "supervisor": {11}}


def test_barge_is_heard_by_both(mixer):
    assert call_with_supervisor(mixer, "barge") == {"customer": {110}, "agent": {101}, "supervisor": {11}}


def test_mode_changes_on_a_live_call(mixer):
    m = mixer.Mixer()
    conf = m.conference()
    customer, agent = m.connect(conf, role="customer"), m.connect(conf, role="agent")
    sup = m.connect(conf, role="supervisor", mode="listen")
    heard = []
    for mode in ("listen", "whisper", "barge", "listen"):
        m.set_mode(sup, mode)
        for conn, value in ((customer, 1), (agent, 10), (sup, 100)):
            m.write(conn, const(m, value))
        m.tick()
        heard.append((samples(m.read(customer))[0], samples(m.read(agent))[0]))
    assert heard == [(10, 1), (10, 101), (110, 101), (10, 1)]


def test_mute_and_gain(mixer):
    m = mixer.Mixer()
    conf = m.conference()
    a, b, c = (m.connect(conf) for _ in range(3))
    m.set_mute(a, True)
    m.set_gain(b, speak=0.5, hear=2.0)
    for conn, value in ((a, 1000), (b, 1000), (c, 1000)):
        m.write(conn, const(m, value))
    m.tick()
    assert samples(m.read(a))[0] == 1500   # a is muted but hears
    assert samples(m.read(b))[0] == 2000   # hears c (a muted), doubled
    assert samples(m.read(c))[0] == 500    # hears b at half
    with pytest.raises(ValueError, match="gain"):
        m.set_gain(a, speak=9.0)


def test_inputs_are_consumed_by_the_tick(mixer):
    m = mixer.Mixer()
    conf = m.conference()
    a, b = m.connect(conf), m.connect(conf)
    m.write(a, const(m, 7))
    m.tick()
    assert set(samples(m.read(b))) == {7}
    m.tick()  # a sent nothing this time: b hears silence, not a's old frame
    assert set(samples(m.read(b))) == {0}
    m.write(a, const(m, 9))
    m.tick(keep_inputs=True)
    m.tick()
    assert set(samples(m.read(b))) == {9}


def test_sixteen_khz(mixer):
    m = mixer.Mixer(rate=16000)
    assert m.frame == 320
    conf = m.conference()
    a, b = m.connect(conf), m.connect(conf)
    ramp = [i * 50 - 8000 for i in range(320)]
    m.write(a, pcm(ramp))
    m.tick()
    assert samples(m.read(b)) == ramp
    with pytest.raises(ValueError, match="640 bytes"):
        m.write(a, bytes(320))
    with pytest.raises(ValueError, match="rate"):
        mixer.Mixer(rate=11025)


def test_stereo_tap_customer_left_agent_right(mixer):
    m = mixer.Mixer()
    conf = m.conference()
    customer, agent = m.connect(conf, role="customer"), m.connect(conf, role="agent")
    sup = m.connect(conf, role="supervisor", mode="barge")
    tap = m.tap(customer, agent)
    left, right = list(range(160)), [-x for x in range(160)]
    m.write(customer, pcm(left))
    m.write(agent, pcm(right))
    m.write(sup, const(m, 5000))
    m.tick()
    frame = samples(m.read_tap(tap))
    assert frame[0::2] == left and frame[1::2] == right
    m.write(agent, pcm(right))  # the customer said nothing this tick
    m.tick()
    frame = samples(m.read_tap(tap))
    assert frame[0::2] == [0] * 160 and frame[1::2] == right


def test_tap_feeds_a_recorder_without_python_per_frame(mixer, tmp_path):
    rec_mod = kernel("recorder", impl_of(mixer))
    m = mixer.Mixer()
    conf = m.conference()
    customer, agent = m.connect(conf, role="customer"), m.connect(conf, role="agent")
    rec = rec_mod.Recorder(tmp_path / "call.wav", rate=8000, channels=2)
    m.tap(customer, agent, recorder=rec)
    for k in range(50):
        m.write(customer, const(m, k))
        m.write(agent, const(m, -k))
        m.tick()
    rec.close()
    import wave
    with wave.open(str(tmp_path / "call.wav")) as w:
        assert (w.getnchannels(), w.getframerate(), w.getnframes()) == (2, 8000, 50 * 160)
        data = samples(w.readframes(50 * 160))
    assert data[0::2] == [k for k in range(50) for _ in range(160)]
    assert data[1::2] == [-k for k in range(50) for _ in range(160)]


def test_disconnect_and_errors(mixer):
    m = mixer.Mixer(capacity=4)
    conf = m.conference()
    a, b, c = (m.connect(conf) for _ in range(3))
    tap = m.tap(a, b)
    m.disconnect(b)
    assert m.members(conf) == sorted([a, c])
    with pytest.raises(KeyError):
        m.read_tap(tap)  # a tap dies with its connection
    with pytest.raises(KeyError):
        m.write(b, bytes(320))
    with pytest.raises(ValueError, match="role"):
        m.connect(conf, role="boss")
    m.connect(conf)
    m.connect(conf)
    with pytest.raises(RuntimeError, match="connections in use"):
        m.connect(conf)
    m.close_conference(conf)
    with pytest.raises(KeyError):
        m.members(conf)
