"""The media hub: call legs meet the conference mixer inside pjmedia's clock, with no Python per frame.

Each call leg gets a `pjmedia_port` of ours in pjsua's conference bridge (one slot), connected both ways
to the call's own slot. On every bridge tick pjmedia calls the ports' `get_frame` (what the leg hears)
and then their `put_frame` (what the leg says); both are GIL-free C callbacks that copy one frame into
or out of the Mixer's slots for that leg. The first `get_frame` of a tick (or, if no port of the hub
has a listener, the first `put_frame` of the next tick) runs `Mixer.mix` once for every conference of
the hub, which also feeds the stereo taps into the recorders' rings. Python only configures.
"""

import time

from cpython.pythread cimport (
    PyThread_acquire_lock, PyThread_allocate_lock, PyThread_free_lock, PyThread_release_lock, WAIT_LOCK,
)
from cpython.ref cimport Py_DECREF, Py_INCREF
from libc.stdint cimport int16_t, int32_t, int64_t, uint64_t
from libc.stdlib cimport calloc, free
from libc.string cimport memcpy, memset
from posix.time cimport CLOCK_MONOTONIC, clock_gettime, timespec
from posix.unistd cimport usleep

from pj cimport PJ_SUCCESS, pj_pool_release, pj_pool_t, pj_pool_zalloc, pj_status_t, pj_str, pj_str_t, \
    pj_strerror, pj_thread_is_registered
from pjmedia cimport PJMEDIA_FRAME_TYPE_AUDIO, PJMEDIA_FRAME_TYPE_NONE, PJMEDIA_SIG_CLASS_APP, pjmedia_frame, \
    pjmedia_port, pjmedia_port_dec_ref, pjmedia_port_info_init, pjmedia_port_init_grp_lock
from pjsua cimport PJSUA_STATE_NULL, PJSUA_STATE_RUNNING, pjsua_conf_add_port, pjsua_conf_connect, \
    pjsua_conf_disconnect, pjsua_conf_port_id, pjsua_conf_remove_port, pjsua_get_state, pjsua_pool_create

from cython_ext.dtmf cimport DtmfDetector
from cython_ext.mixer cimport Mixer
from cython_ext.mixer import MODES, ROLES
from cython_ext.recorder import Recorder, RecorderWriter


class PjError(RuntimeError):
    """A pjproject call failed; `status` is its pj_status_t."""

    def __init__(self, what: str, int status):
        cdef char buf[160]
        pj_strerror(status, buf, sizeof(buf))
        super().__init__(f"{what}: {buf.decode(errors='replace')} (status {status})")
        self.status = status


cdef int _check(pj_status_t status, what) except -1:
    if status != PJ_SUCCESS:
        raise PjError(what, status)
    return 0


cdef int _need_pjsua() except -1:
    if pjsua_get_state() != PJSUA_STATE_RUNNING:
        raise RuntimeError("pjsua is not running (create the pjsua2 Endpoint and libStart() it first)")
    if not pj_thread_is_registered():
        raise RuntimeError("this thread is not registered with pjlib (Endpoint.libRegisterThread)")
    return 0


# -- the C callbacks (pjmedia's clock thread; no GIL, never raise) ----------------------------------

cdef inline void _count_tick(HubCore *core) noexcept nogil:
    """Puts the interval since the previous mix into the tick histogram (core.lock held)."""
    cdef timespec now
    clock_gettime(CLOCK_MONOTONIC, &now)
    cdef int64_t ns = <int64_t>now.tv_sec * 1000000000 + now.tv_nsec
    cdef int64_t dt, bucket
    if core.tick_last_ns != 0:
        dt = ns - core.tick_last_ns
        bucket = dt // TICK_BUCKET_NS
        if bucket >= TICK_BUCKETS - 1:
            bucket = TICK_BUCKETS - 1                   # overflow: 100 ms or more
        elif bucket < 0:
            bucket = 0
        core.tick_hist[bucket] += 1
        core.tick_count += 1
        if dt > core.tick_max_ns:
            core.tick_max_ns = dt
    core.tick_last_ns = ns


cdef inline void _mix(HubCore *core) noexcept nogil:
    _count_tick(core)
    (<Mixer>core.mixer).mix(False)
    core.dirty = 0
    core.gen += 1


cdef pj_status_t _leg_put_frame(pjmedia_port *port, pjmedia_frame *frame) noexcept nogil:
    """What the leg says: the bridge's mix for this port (or a NULL heartbeat frame when silent)."""
    cdef LegPort *leg = <LegPort *>port
    cdef HubCore *core = leg.core
    cdef int32_t conn
    PyThread_acquire_lock(core.lock, WAIT_LOCK)
    if not core.closed:
        # A new bridge tick (new timestamp, or a second put on this leg) with inputs not yet mixed:
        # nobody asked for output in between (no port of the hub has a listener), so mix now.
        if core.dirty and (frame.timestamp.u64 != core.ts or leg.put_gen == core.gen):
            _mix(core)
        core.ts = frame.timestamp.u64
        core.dirty = 1
        leg.put_gen = core.gen
        conn = leg.conn
        if conn >= 0 and frame.type == PJMEDIA_FRAME_TYPE_AUDIO and frame.size == <size_t>core.frame * 2:
            memcpy((<Mixer>core.mixer).input_slot(conn), frame.buf, frame.size)
            (<Mixer>core.mixer).mark_input(conn)
            leg.frames_in += 1
        if leg.dtmf != NULL and frame.type == PJMEDIA_FRAME_TYPE_AUDIO:
            _detect_dtmf(leg, <const int16_t *>frame.buf, frame.size // 2)
    PyThread_release_lock(core.lock)
    return PJ_SUCCESS


cdef inline void _detect_dtmf(LegPort *leg, const int16_t *pcm, Py_ssize_t n) noexcept nogil:
    """In-band keys (for trunks without RFC 4733), kept until the engine takes them; a full ring drops."""
    cdef char found[8]
    cdef int i, count = (<DtmfDetector>leg.dtmf).feed_samples(pcm, n, found, 8)
    for i in range(count):
        if leg.ndigits < DIGIT_RING:
            leg.digits[leg.ndigits] = found[i]
            leg.ndigits += 1


cdef pj_status_t _leg_get_frame(pjmedia_port *port, pjmedia_frame *frame) noexcept nogil:
    """What the leg hears: its mixer output (mixed at the first get of the tick)."""
    cdef LegPort *leg = <LegPort *>port
    cdef HubCore *core = leg.core
    cdef int32_t conn
    frame.type = PJMEDIA_FRAME_TYPE_NONE
    PyThread_acquire_lock(core.lock, WAIT_LOCK)
    if not core.closed:
        if core.dirty:
            _mix(core)
        conn = leg.conn
        if conn >= 0 and frame.size == <size_t>core.frame * 2:
            memcpy(frame.buf, (<Mixer>core.mixer).output_slot(conn), frame.size)
            frame.type = PJMEDIA_FRAME_TYPE_AUDIO
            leg.frames_out += 1
    PyThread_release_lock(core.lock)
    if frame.type != PJMEDIA_FRAME_TYPE_AUDIO:
        frame.size = 0
    return PJ_SUCCESS


cdef pj_status_t _leg_on_destroy(pjmedia_port *port) noexcept nogil:
    """pjmedia dropped its last reference (the bridge applied our removal): free the port."""
    cdef LegPort *leg = <LegPort *>port
    cdef HubCore *core = leg.core
    cdef pj_pool_t *pool = leg.pool
    PyThread_acquire_lock(core.lock, WAIT_LOCK)
    if core.legs[leg.index] == leg:
        core.legs[leg.index] = NULL
    core.live -= 1
    PyThread_release_lock(core.lock)
    pj_pool_release(pool)
    return PJ_SUCCESS


cdef object _quantile_ms(uint64_t *hist, uint64_t count, double q, double max_ms):
    """The upper edge of the bucket holding the q-quantile (capped by the max), None without ticks."""
    if count == 0:
        return None
    cdef uint64_t need = <uint64_t>(q * count + 0.999999), seen = 0
    cdef int i
    if need < 1:
        need = 1
    for i in range(TICK_BUCKETS):
        seen += hist[i]
        if seen >= need:
            if i == TICK_BUCKETS - 1:
                return round(max_ms, 3)
            return round(min((i + 1) * TICK_BUCKET_NS / 1e6, max_ms), 3)
    return round(max_ms, 3)


# -- Python side -------------------------------------------------------------------------------------

cdef class _Leg:
    cdef public int slot
    cdef public int conn
    cdef public object conference
    cdef public str name
    cdef public object dtmf         # the leg's DtmfDetector (the C side borrows it), or None


def _slot_of(media) -> int:
    """A conference bridge slot from an int or anything with getPortId() (pjsua2 AudioMedia, Call media)."""
    return media if isinstance(media, int) else int(media.getPortId())


def connect_slots(source, sink) -> None:
    """pjsua_conf_connect(source, sink): `sink` hears `source` (applied by the bridge on its next tick)."""
    _need_pjsua()
    _check(pjsua_conf_connect(_slot_of(source), _slot_of(sink)), "pjsua_conf_connect")


def disconnect_slots(source, sink) -> None:
    _need_pjsua()
    _check(pjsua_conf_disconnect(_slot_of(source), _slot_of(sink)), "pjsua_conf_disconnect")


def audio_media(int slot):
    """The pjsua2 `AudioMedia` of a bridge slot (for `startTransmit`/`stopTransmit` from pjsua2 code)."""
    import pjsua2 as pj

    for media in pj.Endpoint.instance().mediaEnumPorts2():
        if media.getPortId() == slot:
            return media
    raise KeyError(f"no conference bridge slot {slot}")


cdef class MediaHub:
    """Call legs of one sample rate, each a slot in pjsua's bridge, mixed together by one `Mixer`.

    Create it after `Endpoint.libStart()` and `close()` it before `libDestroy()`, from a thread
    registered with pjlib. The hub's rate and ptime must be the bridge's (`clockRate`, 20 ms).
    """

    def __cinit__(self, Mixer mixer=None, int rate=8000, int ptime_ms=20, int capacity=1024):
        if mixer is None:
            mixer = Mixer(rate=rate, ptime_ms=ptime_ms, capacity=capacity)
        self.mixer = mixer
        self.rate = mixer.rate
        self.frame = mixer.frame
        self.legs = {}
        self.recordings = {}
        self.core = <HubCore *>calloc(1, sizeof(HubCore))
        if self.core == NULL:
            raise MemoryError()
        self.core.legs = <LegPort **>calloc(mixer.capacity, sizeof(LegPort *))
        self.core.lock = PyThread_allocate_lock()
        if self.core.legs == NULL or self.core.lock == NULL:
            raise MemoryError()
        self.core.capacity = mixer.capacity
        self.core.frame = mixer.frame
        self.core.mixer = <void *>mixer
        Py_INCREF(mixer)            # owned by the core: the callbacks may outlive a leaked hub

    def __dealloc__(self):
        if self.core != NULL:
            # Not closed explicitly: only safe to tidy up from a pjlib thread while pjsua runs.
            try:
                self.close()
            except Exception:
                pass

    # -- legs ------------------------------------------------------------------------------------

    def add_leg(self, str name="leg") -> int:
        """A new port in pjsua's bridge for one call leg; returns the leg id (see `slot`)."""
        _need_pjsua()
        self._open()
        cdef HubCore *core = self.core
        cdef int i, index = -1
        for i in range(core.capacity):
            if core.legs[i] == NULL and i not in self.legs:
                index = i
                break
        if index < 0:
            raise RuntimeError(f"all {core.capacity} legs in use")
        cdef pj_pool_t *pool = pjsua_pool_create(b"cbxleg", 512, 512)
        if pool == NULL:
            raise MemoryError()
        cdef LegPort *leg = <LegPort *>pj_pool_zalloc(pool, sizeof(LegPort))
        cdef bytes bname = f"{name[:40]}#{index}".encode()
        cdef char *pname = <char *>pj_pool_zalloc(pool, len(bname) + 1)
        if leg == NULL or pname == NULL:
            pj_pool_release(pool)
            raise MemoryError()
        memcpy(pname, <char *>bname, len(bname))
        cdef pj_str_t sname = pj_str(pname)
        leg.pool = pool
        leg.core = core
        leg.index = index
        leg.conn = -1
        leg.put_gen = <uint64_t>-1      # no put yet (0 would look like a second put in the first tick)
        pjmedia_port_info_init(&leg.base.info, &sname, PJMEDIA_SIG_CLASS_APP(c'c', c'b', c'x'),
                               self.rate, 1, 16, self.frame)
        leg.base.put_frame = _leg_put_frame
        leg.base.get_frame = _leg_get_frame
        leg.base.on_destroy = _leg_on_destroy
        cdef pj_status_t status = pjmedia_port_init_grp_lock(&leg.base, pool, NULL)
        if status != PJ_SUCCESS:
            pj_pool_release(pool)
            _check(status, "pjmedia_port_init_grp_lock")
        PyThread_acquire_lock(core.lock, WAIT_LOCK)
        if core.live == 0:
            core.tick_last_ns = 0       # the hub was empty (no mixes): that pause is not a tick
        core.legs[index] = leg
        core.live += 1
        PyThread_release_lock(core.lock)
        cdef pjsua_conf_port_id slot = -1
        status = pjsua_conf_add_port(pool, &leg.base, &slot)
        if status != PJ_SUCCESS:
            pjmedia_port_dec_ref(&leg.base)     # our reference: on_destroy frees it
            _check(status, "pjsua_conf_add_port")
        entry = _Leg()
        entry.slot = slot
        entry.conn = -1
        entry.conference = None
        entry.name = name
        entry.dtmf = None
        self.legs[index] = entry
        return index

    def remove_leg(self, int leg) -> None:
        """Takes the leg out of its conference and the bridge (pjmedia frees the port a tick later)."""
        entry = self._entry(leg)
        if entry.conference is not None:
            self.leave(leg)
        _need_pjsua()
        cdef LegPort *port = self._port(leg)
        PyThread_acquire_lock(self.core.lock, WAIT_LOCK)
        port.dtmf = NULL                # the bridge may call put_frame once more before the port goes
        PyThread_release_lock(self.core.lock)
        del self.legs[leg]
        pjsua_conf_remove_port(entry.slot)
        pjmedia_port_dec_ref(&port.base)

    def slot(self, int leg) -> int:
        """The leg's slot in pjsua's conference bridge (for pjsua_conf_connect / AudioMedia)."""
        return self._entry(leg).slot

    def audio_media(self, int leg):
        """The leg's pjsua2 `AudioMedia`: `call_media.startTransmit(hub.audio_media(leg))` etc."""
        return audio_media(self._entry(leg).slot)

    def attach(self, int leg, media) -> None:
        """Connects the leg and a call's audio both ways (`media`: pjsua2 AudioMedia or a slot id)."""
        cdef int slot = self._entry(leg).slot
        connect_slots(media, slot)
        connect_slots(slot, media)

    def detach(self, int leg, media) -> None:
        cdef int slot = self._entry(leg).slot
        disconnect_slots(media, slot)
        disconnect_slots(slot, media)

    @property
    def leg_ids(self) -> list:
        return sorted(self.legs)

    def detect_dtmf(self, int leg, bint on=True) -> None:
        """Listens for in-band DTMF in what the leg says (GIL-free, in the bridge's clock); the keys
        come back from `take_digits`."""
        entry = self._entry(leg)
        cdef LegPort *port = self._port(leg)
        detector = DtmfDetector(self.rate) if on else None
        PyThread_acquire_lock(self.core.lock, WAIT_LOCK)
        port.dtmf = <void *>detector if detector is not None else NULL
        port.ndigits = 0
        PyThread_release_lock(self.core.lock)
        entry.dtmf = detector        # keeps it alive while the C side uses it

    def take_digits(self) -> list:
        """[(leg, "keys"), ...] found since the last call, for the legs that found any."""
        cdef list found = []
        cdef LegPort *port
        PyThread_acquire_lock(self.core.lock, WAIT_LOCK)
        try:
            for index in self.legs:
                port = self.core.legs[index] if index < self.core.capacity else NULL
                if port != NULL and port.ndigits > 0:
                    found.append((index, port.digits[:port.ndigits].decode("ascii")))
                    port.ndigits = 0
        finally:
            PyThread_release_lock(self.core.lock)
        return found

    def leg_stats(self, int leg) -> dict:
        entry = self._entry(leg)
        cdef LegPort *port = self._port(leg)
        return {"slot": entry.slot, "conference": entry.conference, "connection": entry.conn,
                "frames_in": port.frames_in, "frames_out": port.frames_out}

    @property
    def ticks(self) -> int:
        """Mixes done so far (one per bridge tick while any leg exists)."""
        return self.core.gen if self.core != NULL else 0

    def tick_stats(self, bint reset=False) -> dict:
        """Intervals between consecutive mixes (the media tick, 20 ms when pjmedia's clock keeps time).

        `ticks` intervals since the hub was created or last reset; p50/p99 from 0.1 ms buckets (the
        bucket's upper edge, at most the max; 100 ms or more is one overflow bucket), max exact.
        Intervals while the hub had no leg are not counted. `reset` clears them after reading."""
        self._open()
        cdef HubCore *core = self.core
        cdef uint64_t hist[TICK_BUCKETS]
        cdef uint64_t count
        cdef int64_t max_ns
        PyThread_acquire_lock(core.lock, WAIT_LOCK)
        memcpy(hist, core.tick_hist, sizeof(hist))
        count = core.tick_count
        max_ns = core.tick_max_ns
        if reset:
            memset(core.tick_hist, 0, sizeof(core.tick_hist))
            core.tick_count = 0
            core.tick_max_ns = 0
        PyThread_release_lock(core.lock)
        max_ms = max_ns / 1e6
        return {"ticks": count, "p50_ms": _quantile_ms(hist, count, 0.5, max_ms),
                "p99_ms": _quantile_ms(hist, count, 0.99, max_ms), "max_ms": round(max_ms, 3),
                "bucket_ms": TICK_BUCKET_NS / 1e6, "over_100ms": hist[TICK_BUCKETS - 1]}

    # -- conferences and roles -------------------------------------------------------------------

    def conference(self) -> int:
        """A new, empty conference of the hub's mixer."""
        return self.mixer.conference()

    def close_conference(self, int conference) -> None:
        for leg, entry in list(self.legs.items()):
            if entry.conference == conference:
                self.leave(leg)
        self.mixer.close_conference(conference)

    def join(self, int leg, int conference, str role="party", str mode="talk") -> None:
        """Puts the leg in a conference. role: party/customer, agent, supervisor;
        mode: talk, barge (= talk), listen (hears all, heard by none), whisper (heard by agents only)."""
        entry = self._entry(leg)
        if entry.conference is not None:
            self.leave(leg)
        cdef int conn = self.mixer.connect(conference, role, mode)
        cdef LegPort *port = self._port(leg)
        PyThread_acquire_lock(self.core.lock, WAIT_LOCK)
        port.conn = conn
        PyThread_release_lock(self.core.lock)
        entry.conn = conn
        entry.conference = conference

    def leave(self, int leg) -> None:
        """Takes the leg out of its conference (it then hears nothing and is heard by no one)."""
        entry = self._entry(leg)
        if entry.conference is None:
            return
        cdef LegPort *port = self._port(leg)
        for rec, (tap, left, right) in list(self.recordings.items()):
            if leg in (left, right):
                self.stop_recording(rec)
        PyThread_acquire_lock(self.core.lock, WAIT_LOCK)
        port.conn = -1
        PyThread_release_lock(self.core.lock)
        self.mixer.disconnect(entry.conn)
        entry.conn = -1
        entry.conference = None

    def set_mode(self, int leg, str mode) -> None:
        """Supervisor modes on a live call: listen, whisper, barge (talk)."""
        self.mixer.set_mode(self._joined(leg).conn, mode)

    def set_gain(self, int leg, double speak=1.0, double hear=1.0) -> None:
        self.mixer.set_gain(self._joined(leg).conn, speak, hear)

    def set_mute(self, int leg, bint muted) -> None:
        self.mixer.set_mute(self._joined(leg).conn, muted)

    # -- stereo recording ------------------------------------------------------------------------

    def record(self, int left_leg, int right_leg, path, double sync_interval=1.0):
        """Starts a stereo WAV of what `left_leg` (the customer) and `right_leg` (the agent) say.

        Both legs must be in a conference. The tick appends each frame to the recording's ring; one
        writer thread (every 0.25 s) puts all recordings on disk. Returns the `Recorder`."""
        left = self._joined(left_leg)
        right = self._joined(right_leg)
        rec = Recorder(path, rate=self.rate, channels=2, sync_interval=sync_interval)
        tap = self.mixer.tap(left.conn, right.conn, rec)
        self.recordings[rec] = (tap, left_leg, right_leg)
        if self.writer is None:
            self.writer = RecorderWriter()
        self.writer.add(rec)
        return rec

    def stop_recording(self, rec) -> None:
        """Stops the tap and closes the file (last audio written, header final, fsynced). A recording
        already stopped (its leg left the conference: `leave`) is left alone: the call that owns it
        stops it again at its end, and a KeyError there left the call's record open."""
        taken = self.recordings.pop(rec, None)
        if taken is None:
            return
        tap, _, _ = taken
        self.mixer.untap(tap)
        self.writer.remove(rec)

    # -- lifecycle -------------------------------------------------------------------------------

    def close(self, double timeout=2.0) -> None:
        """Removes every leg and waits until pjmedia has let go of the ports (a bridge tick or two).

        Call it before `Endpoint.libDestroy()`. After libDestroy the bridge and the ports' memory are
        gone: close() then only forgets them."""
        if self.core == NULL:
            return
        for rec in list(self.recordings):
            self.stop_recording(rec)
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        cdef HubCore *core = self.core
        cdef int live
        cdef double deadline
        state = pjsua_get_state()
        if state == PJSUA_STATE_NULL:
            live = 0                        # pjsua destroyed the bridge and the pools with it
        elif not pj_thread_is_registered():
            live = -1                       # cannot call pjsua from here: leave the ports to libDestroy
        else:
            for leg in list(self.legs):
                self.remove_leg(leg)
            deadline = time.monotonic() + timeout
            while True:
                PyThread_acquire_lock(core.lock, WAIT_LOCK)
                live = core.live
                PyThread_release_lock(core.lock)
                if live == 0 or time.monotonic() > deadline:
                    break
                with nogil:
                    usleep(2000)
        self.legs.clear()
        PyThread_acquire_lock(core.lock, WAIT_LOCK)
        core.closed = 1                     # any late callback now does nothing
        PyThread_release_lock(core.lock)
        self.core = NULL
        if live == 0:
            Py_DECREF(<object>core.mixer)
            PyThread_free_lock(core.lock)
            free(core.legs)
            free(core)
        # else: ports are still in a bridge that may call them; the core (and the mixer it holds)
        # is deliberately leaked rather than freed under the clock thread.

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- helpers ---------------------------------------------------------------------------------

    cdef int _open(self) except -1:
        if self.core == NULL:
            raise RuntimeError("media hub is closed")
        return 0

    def _entry(self, int leg) -> _Leg:
        self._open()
        try:
            return self.legs[leg]
        except KeyError:
            raise KeyError(f"no leg {leg}") from None

    def _joined(self, int leg) -> _Leg:
        entry = self._entry(leg)
        if entry.conference is None:
            raise ValueError(f"leg {leg} is in no conference")
        return entry

    cdef LegPort *_port(self, int leg) except NULL:
        cdef LegPort *port = self.core.legs[leg] if self.core != NULL and 0 <= leg < self.core.capacity else NULL
        if port == NULL:
            raise KeyError(f"no leg {leg}")
        return port
