# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Benchmark drivers in C for bench/media_pjmedia.py: pjmedia's conference bridge and jbuf against ours.

Built at bench time against the shared pjproject libraries (like bench/media_mixer_ref.c). Every
timed loop runs here without Python per tick or per frame, for both sides.
"""

from libc.stdint cimport int16_t, int64_t, uint32_t
from libc.stdlib cimport calloc, free
from libc.string cimport memcpy, memset
from posix.time cimport CLOCK_MONOTONIC, clock_gettime, timespec

from pj cimport PJ_SUCCESS, pj_bool_t, pj_caching_pool, pj_caching_pool_destroy, pj_caching_pool_init, \
    pj_init, pj_log_set_level, pj_pool_create, pj_pool_factory_default_policy, pj_pool_release, pj_pool_t, pj_pool_zalloc, \
    pj_size_t, pj_status_t, pj_str, pj_str_t, pj_uint32_t
from pjmedia cimport PJMEDIA_CONF_NO_DEVICE, PJMEDIA_FRAME_TYPE_AUDIO, PJMEDIA_FRAME_TYPE_NONE, \
    PJMEDIA_JB_DISCARD_PROGRESSIVE, PJMEDIA_JB_NORMAL_FRAME, pjmedia_jb_discard_algo, pjmedia_jbuf_set_fixed, PJMEDIA_SIG_CLASS_APP, pjmedia_conf, \
    pjmedia_conf_add_port, pjmedia_conf_connect_port, pjmedia_conf_create, pjmedia_conf_destroy, \
    pjmedia_conf_get_master_port, pjmedia_frame, pjmedia_jb_state, pjmedia_jbuf, pjmedia_jbuf_create, \
    pjmedia_jbuf_destroy, pjmedia_jbuf_get_frame3, pjmedia_jbuf_get_state, pjmedia_jbuf_put_frame3, \
    pjmedia_jbuf_set_adaptive, pjmedia_jbuf_set_discard, pjmedia_port, pjmedia_port_get_frame, \
    pjmedia_port_info_init

from cython_ext.jitter cimport JitterBuffer
from cython_ext.mixer cimport Mixer

cdef pj_caching_pool CP
cdef bint READY = False


cdef pj_pool_t *_pool(const char *name) except NULL:
    global READY
    if not READY:
        if pj_init() != PJ_SUCCESS:
            raise RuntimeError("pj_init failed")
        pj_log_set_level(1)
        pj_caching_pool_init(&CP, &pj_pool_factory_default_policy, 0)
        READY = True
    cdef pj_pool_t *pool = pj_pool_create(&CP.factory, name, 4000, 4000, NULL)
    if pool == NULL:
        raise MemoryError()
    return pool


cdef inline double _now() noexcept nogil:
    cdef timespec ts
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return ts.tv_sec + ts.tv_nsec * 1e-9


# -- a party: says a fixed noise frame, takes what it hears ------------------------------------------

cdef struct Party:
    pjmedia_port base
    int16_t *say
    int16_t *heard
    int n
    # for the hub path: the mixer connection this party's hub leg feeds
    void *mixer
    int conn
    int *dirty


cdef pj_status_t _party_get(pjmedia_port *port, pjmedia_frame *frame) noexcept nogil:
    cdef Party *p = <Party *>port
    memcpy(frame.buf, p.say, p.n * 2)
    frame.size = p.n * 2
    frame.type = PJMEDIA_FRAME_TYPE_AUDIO
    return PJ_SUCCESS


cdef pj_status_t _party_put(pjmedia_port *port, pjmedia_frame *frame) noexcept nogil:
    cdef Party *p = <Party *>port
    if frame.type == PJMEDIA_FRAME_TYPE_AUDIO:
        memcpy(p.heard, frame.buf, p.n * 2)
    return PJ_SUCCESS


# The hub leg of bench: the same work per frame as cython_ext.pjport's leg (copy into / out of the
# mixer's slots, one mix at the first get of a tick), standalone so no pjsua instance is needed.
cdef pj_status_t _hub_put(pjmedia_port *port, pjmedia_frame *frame) noexcept nogil:
    cdef Party *p = <Party *>port
    if frame.type == PJMEDIA_FRAME_TYPE_AUDIO:
        memcpy((<Mixer>p.mixer).input_slot(p.conn), frame.buf, p.n * 2)
        (<Mixer>p.mixer).mark_input(p.conn)
    p.dirty[0] = 1
    return PJ_SUCCESS


cdef pj_status_t _hub_get(pjmedia_port *port, pjmedia_frame *frame) noexcept nogil:
    cdef Party *p = <Party *>port
    if p.dirty[0]:
        (<Mixer>p.mixer).mix(False)
        p.dirty[0] = 0
    memcpy(frame.buf, (<Mixer>p.mixer).output_slot(p.conn), p.n * 2)
    frame.size = p.n * 2
    frame.type = PJMEDIA_FRAME_TYPE_AUDIO
    return PJ_SUCCESS


cdef pj_status_t _noop_destroy(pjmedia_port *port) noexcept nogil:
    return PJ_SUCCESS


cdef Party *_party(pj_pool_t *pool, int idx, int rate, int n, bint hub) except NULL:
    cdef Party *p = <Party *>pj_pool_zalloc(pool, sizeof(Party))
    p.say = <int16_t *>pj_pool_zalloc(pool, n * 2)
    p.heard = <int16_t *>pj_pool_zalloc(pool, n * 2)
    if p == NULL or p.say == NULL or p.heard == NULL:
        raise MemoryError()
    p.n = n
    cdef uint32_t x = 2463534242u + idx * 7919
    cdef int i
    for i in range(n):      # xorshift noise at about -20 dBFS
        x ^= x << 13
        x ^= x >> 17
        x ^= x << 5
        p.say[i] = <int16_t>(<int>(x & 0x1FFF) - 4096)
    cdef pj_str_t name = pj_str(b"hubleg" if hub else b"party")
    pjmedia_port_info_init(&p.base.info, &name, PJMEDIA_SIG_CLASS_APP(c'c', c'b', c'b'), rate, 1, 16, n)
    p.base.get_frame = _hub_get if hub else _party_get
    p.base.put_frame = _hub_put if hub else _party_put
    p.base.on_destroy = _noop_destroy
    return p


cdef double _time_master(pjmedia_port *master, int n, int ticks, int rounds) noexcept nogil:
    cdef int16_t buf[1920]
    cdef pjmedia_frame f
    cdef int r, t
    cdef double best = 1e30, t0
    cdef int64_t stamp = 0
    for r in range(rounds):
        t0 = _now()
        for t in range(ticks):
            f.buf = buf
            f.size = n * 2
            f.type = PJMEDIA_FRAME_TYPE_AUDIO
            f.timestamp.u64 = stamp
            stamp += n
            pjmedia_port_get_frame(master, &f)
        t0 = (_now() - t0) / ticks
        if t0 < best:
            best = t0
    return best


def conf_bridge_tick(int parties, int rate=8000, int ticks=2000, int rounds=7, str mode="pjmedia") -> float:
    """Seconds per bridge tick (best of rounds) for one conference of `parties`.

    mode "pjmedia": every party connected to every other in pjmedia's bridge (its per-listener mix).
    mode "hub": every party connected both ways to its own hub leg; the legs mixed by our Mixer.
    """
    cdef int n = rate // 50, i, j
    cdef pj_pool_t *pool = _pool(b"bench-conf")
    cdef pjmedia_conf *conf
    cdef unsigned slot
    cdef Party *p
    cdef bint hub = mode == "hub"
    cdef int dirty = 0
    cdef Mixer mixer = Mixer(rate=rate, capacity=parties + 1)
    cdef unsigned *slots = <unsigned *>calloc(2 * parties, sizeof(unsigned))
    cdef pjmedia_port *master
    cdef double best
    try:
        if pjmedia_conf_create(pool, 2 * parties + 2, rate, 1, n, 16, PJMEDIA_CONF_NO_DEVICE, &conf) != PJ_SUCCESS:
            raise RuntimeError("pjmedia_conf_create failed")
        mconf = mixer.conference()
        for i in range(parties):
            p = _party(pool, i, rate, n, False)
            if pjmedia_conf_add_port(conf, pool, &p.base, NULL, &slots[i]) != PJ_SUCCESS:
                raise RuntimeError("pjmedia_conf_add_port failed")
            if hub:
                p = _party(pool, i, rate, n, True)
                p.mixer = <void *>mixer
                p.conn = mixer.connect(mconf)
                p.dirty = &dirty
                if pjmedia_conf_add_port(conf, pool, &p.base, NULL, &slots[parties + i]) != PJ_SUCCESS:
                    raise RuntimeError("pjmedia_conf_add_port failed")
        for i in range(parties):
            if hub:
                pjmedia_conf_connect_port(conf, slots[i], slots[parties + i], 0)
                pjmedia_conf_connect_port(conf, slots[parties + i], slots[i], 0)
            else:
                for j in range(parties):
                    if i != j:
                        pjmedia_conf_connect_port(conf, slots[i], slots[j], 0)
        master = pjmedia_conf_get_master_port(conf)
        with nogil:
            _time_master(master, n, 5, 1)          # applies the queued adds and connects
            best = _time_master(master, n, ticks, rounds)
        pjmedia_conf_destroy(conf)
        return best
    finally:
        free(slots)
        pj_pool_release(pool)


def mix_tick(int parties, int rate=8000, int ticks=2000, int rounds=7) -> float:
    """Seconds per Mixer.mix (one conference of `parties`, all talking), called from C."""
    cdef Mixer m = Mixer(rate=rate, capacity=parties + 1)
    cdef int c = m.conference(), i, j, k, r, t
    cdef uint32_t x = 2463534242u
    for i in range(parties):
        k = m.connect(c)
        for j in range(m.frame):
            x ^= x << 13
            x ^= x >> 17
            x ^= x << 5
            m.input_slot(k)[j] = <int16_t>(<int>(x & 0x1FFF) - 4096)
        m.mark_input(k)
    cdef double best = 1e30, t0
    with nogil:
        for r in range(rounds):
            t0 = _now()
            for t in range(ticks):
                m.mix(True)
            t0 = (_now() - t0) / ticks
            if t0 < best:
                best = t0
    return best


# -- jitter buffers on a trace, frame by frame ----------------------------------------------------------

def run_ours(double[::1] arrival, long[::1] seq, int n_sent, double quantile=0.97, double forget=0.995,
             double ptime=0.02, double phase=0.0073):
    """cython_ext.jitter.JitterBuffer on a trace (sorted by arrival): (received, played, mean added delay s,
    seconds per put, seconds per get)."""
    cdef JitterBuffer jb = JitterBuffer(quantile=quantile, forget=forget)
    cdef int16_t pcm[320]
    cdef int16_t out[320]
    memset(pcm, 0, sizeof(pcm))
    cdef Py_ssize_t i = 0, npk = arrival.shape[0]
    cdef int64_t t = 0
    cdef double now, tp = 0, tg = 0, t0
    cdef int64_t gets = 0
    with nogil:
        while True:
            now = t * ptime + phase
            t += 1
            t0 = _now()
            while i < npk and arrival[i] <= now:
                jb.put_frame(<int>(seq[i] & 0xFFFF), <uint32_t>(160 * seq[i]), pcm, arrival[i])
                i += 1
            tp += _now() - t0
            if i == npk and jb.played + jb.late + jb.dropped + jb.overflow >= jb.received:
                break
            t0 = _now()
            jb.get_frame(now, out)
            tg += _now() - t0
            gets += 1
    return (jb.received, jb.played, jb.delay_sum / jb.played if jb.played else 0.0,
            tp / npk, tg / gets)


def run_pjmedia(double[::1] arrival, long[::1] seq, int n_sent, int init=0, int min_pre=1, int max_pre=20,
                int max_count=25, int fixed=-1, int discard=PJMEDIA_JB_DISCARD_PROGRESSIVE,
                double ptime=0.02, double phase=0.0073):
    """pjmedia's jbuf with pjsua's stream defaults (adaptive, progressive discard) on the same trace:
    (received, played, mean added delay s, seconds per put, seconds per get)."""
    cdef pj_pool_t *pool = _pool(b"bench-jb")
    cdef pjmedia_jbuf *jb
    cdef pj_str_t name = pj_str(b"jb")
    if pjmedia_jbuf_create(pool, &name, 320, <unsigned>(ptime * 1000), max_count, &jb) != PJ_SUCCESS:
        pj_pool_release(pool)
        raise RuntimeError("pjmedia_jbuf_create failed")
    if fixed >= 0:
        pjmedia_jbuf_set_fixed(jb, fixed)
    else:
        pjmedia_jbuf_set_adaptive(jb, init, min_pre, max_pre)
    pjmedia_jbuf_set_discard(jb, <pjmedia_jb_discard_algo>discard)
    cdef char pcm[320]
    cdef char out[320]
    memset(pcm, 0, sizeof(pcm))
    cdef Py_ssize_t i = 0, npk = arrival.shape[0]
    cdef int64_t top = 0
    for i in range(npk):
        top = max(top, seq[i])
    cdef double *arr_of = <double *>calloc(top + 1, sizeof(double))
    i = 0
    cdef int64_t t = 0, played = 0, gets = 0, idle = 0
    cdef double now, delay_sum = 0, tp = 0, tg = 0, t0
    cdef pj_size_t size
    cdef char ftype
    cdef pj_uint32_t bit_info, ts
    cdef int fseq
    cdef pj_bool_t discarded
    cdef pjmedia_jb_state st
    with nogil:
        while True:
            now = t * ptime + phase
            t += 1
            t0 = _now()
            while i < npk and arrival[i] <= now:
                arr_of[seq[i]] = arrival[i]
                pjmedia_jbuf_put_frame3(jb, pcm, 320, 0, <int>seq[i], <pj_uint32_t>(160 * seq[i]), &discarded)
                i += 1
            tp += _now() - t0
            t0 = _now()
            size = 320
            pjmedia_jbuf_get_frame3(jb, out, &size, &ftype, &bit_info, &ts, &fseq)
            tg += _now() - t0
            gets += 1
            if ftype == PJMEDIA_JB_NORMAL_FRAME:
                played += 1
                delay_sum += now - arr_of[fseq]
            if i == npk:
                pjmedia_jbuf_get_state(jb, &st)
                idle += 1
                if st.size == 0 or idle > 100:
                    break
    pjmedia_jbuf_destroy(jb)
    free(arr_of)
    pj_pool_release(pool)
    return (npk, played, delay_sum / played if played else 0.0, tp / npk, tg / gets)
