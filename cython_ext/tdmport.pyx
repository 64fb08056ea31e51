"""A TDM channel's audio in pjsua's conference bridge: a serial card's line meets the media hub.

A card's line thread (firmware/cards/serial_link.py) hands what the line said to `feed` as it arrives,
in bursts and with gaps; `feed` cuts it into 20 ms frames numbered on the line's own sample clock and
puts them into the adaptive jitter buffer (cython_ext.jitter) with their arrival time. On each tick of
the bridge's clock, `get_frame` (C, GIL-free) plays the buffer's next frame into the bridge: the hub
mixes it in the same tick, with loss concealed and the delay following the link's jitter. What the
bridge gives the port (`put_frame`, GIL-free) collects in a ring that the line thread empties with
`take` at the modem's pace. Both sides take the port's own lock (never the GIL, never the engine's);
Python only feeds, takes and configures.
"""

cdef extern from "<pthread.h>" nogil:
    ctypedef struct pthread_mutex_t:
        pass
    int pthread_mutex_init(pthread_mutex_t *mutex, void *attr)
    int pthread_mutex_destroy(pthread_mutex_t *mutex)
    int pthread_mutex_lock(pthread_mutex_t *mutex)
    int pthread_mutex_unlock(pthread_mutex_t *mutex)

from libc.stdint cimport int16_t, int32_t, uint32_t, uint64_t
from libc.string cimport memcpy, memset
from posix.time cimport CLOCK_MONOTONIC, clock_gettime, timespec

from pj cimport PJ_SUCCESS, pj_pool_release, pj_pool_t, pj_pool_zalloc, pj_status_t, pj_str, pj_str_t, \
    pj_thread_is_registered
from pjmedia cimport PJMEDIA_FRAME_TYPE_AUDIO, PJMEDIA_FRAME_TYPE_NONE, PJMEDIA_SIG_CLASS_APP, pjmedia_frame, \
    pjmedia_port, pjmedia_port_dec_ref, pjmedia_port_info_init, pjmedia_port_init_grp_lock
from pjsua cimport PJSUA_STATE_RUNNING, pjsua_conf_add_port, pjsua_conf_port_id, pjsua_conf_remove_port, \
    pjsua_get_state, pjsua_pool_create

from cython_ext.jitter cimport JitterBuffer

cdef enum:
    RING_SECONDS = 1            # what the bridge said and the line did not take yet; older is overwritten

cdef double GAP = 0.5           # the line this far behind its own clock: a gap in the stream, skipped


cdef struct TdmPortC:
    pjmedia_port base           # first: the bridge holds a pjmedia_port *
    pj_pool_t *pool             # owns this struct; released by on_destroy
    pthread_mutex_t lock        # in the struct (pool memory): destroyed by on_destroy, after the bridge's last call
    void *jitter                # the JitterBuffer (borrowed; the Python object holds it until close)
    int32_t closed
    int32_t frame
    int16_t *ring               # outgoing samples
    int32_t ring_cap, ring_start, ring_len
    uint64_t frames_in, frames_out, overwritten


cdef inline double _now() noexcept nogil:
    cdef timespec ts
    clock_gettime(CLOCK_MONOTONIC, &ts)      # time.monotonic()'s clock: feed's arrival times
    return ts.tv_sec + ts.tv_nsec * 1e-9


cdef pj_status_t _get_frame(pjmedia_port *port, pjmedia_frame *frame) noexcept nogil:
    """What the line said, for the bridge: the jitter buffer's frame for now."""
    cdef TdmPortC *tdm = <TdmPortC *>port
    frame.type = PJMEDIA_FRAME_TYPE_NONE
    pthread_mutex_lock(&tdm.lock)
    if not tdm.closed and frame.size == <size_t>tdm.frame * 2:
        (<JitterBuffer>tdm.jitter).get_frame(_now(), <int16_t *>frame.buf)
        frame.type = PJMEDIA_FRAME_TYPE_AUDIO
        tdm.frames_out += 1
    pthread_mutex_unlock(&tdm.lock)
    if frame.type != PJMEDIA_FRAME_TYPE_AUDIO:
        frame.size = 0
    return PJ_SUCCESS


cdef pj_status_t _put_frame(pjmedia_port *port, pjmedia_frame *frame) noexcept nogil:
    """What the bridge gives the line: into the ring (the oldest overwritten when the line is behind)."""
    cdef TdmPortC *tdm = <TdmPortC *>port
    cdef int32_t i, n, at
    cdef const int16_t *pcm
    pthread_mutex_lock(&tdm.lock)
    if not tdm.closed and frame.type == PJMEDIA_FRAME_TYPE_AUDIO and frame.size == <size_t>tdm.frame * 2:
        pcm = <const int16_t *>frame.buf
        n = tdm.frame
        for i in range(n):
            at = (tdm.ring_start + tdm.ring_len) % tdm.ring_cap
            tdm.ring[at] = pcm[i]
            if tdm.ring_len < tdm.ring_cap:
                tdm.ring_len += 1
            else:
                tdm.ring_start = (tdm.ring_start + 1) % tdm.ring_cap
                tdm.overwritten += 1
        tdm.frames_in += 1
    pthread_mutex_unlock(&tdm.lock)
    return PJ_SUCCESS


cdef pj_status_t _on_destroy(pjmedia_port *port) noexcept nogil:
    cdef TdmPortC *tdm = <TdmPortC *>port
    pthread_mutex_destroy(&tdm.lock)
    pj_pool_release(tdm.pool)
    return PJ_SUCCESS


cdef class TdmPort:
    """One TDM channel's port in pjsua's bridge (create after libStart, close before libDestroy, from
    a thread registered with pjlib); `slot` is its bridge slot. `feed` and `take` may be called from
    any thread (the line's)."""

    cdef TdmPortC *port
    cdef readonly int slot
    cdef readonly int rate
    cdef readonly int frame
    cdef readonly JitterBuffer jitter
    cdef int seq
    cdef uint32_t ts
    cdef double origin                # arrival time of sample 0 of the stream (0: nothing fed yet)
    cdef long long fed                # samples fed, gaps included
    cdef bytearray partial            # samples fed that do not fill a frame yet (bytes)

    def __cinit__(self, str name="tdm", int rate=8000, int ptime_ms=20, JitterBuffer jitter=None):
        if pjsua_get_state() != PJSUA_STATE_RUNNING or not pj_thread_is_registered():
            raise RuntimeError("pjsua is not running in this thread (Endpoint.libStart, libRegisterThread)")
        self.jitter = jitter if jitter is not None else JitterBuffer(rate=rate, ptime_ms=ptime_ms)
        self.rate, self.frame = rate, self.jitter.frame
        self.partial = bytearray()
        self.slot = -1
        cdef pj_pool_t *pool = pjsua_pool_create(b"cbxtdm", 1024, 1024)
        if pool == NULL:
            raise MemoryError()
        cdef TdmPortC *port = <TdmPortC *>pj_pool_zalloc(pool, sizeof(TdmPortC))
        cdef bytes bname = name[:40].encode()
        cdef char *pname = <char *>pj_pool_zalloc(pool, len(bname) + 1)
        cdef int cap = rate * RING_SECONDS
        cdef int16_t *ring = <int16_t *>pj_pool_zalloc(pool, cap * sizeof(int16_t))
        if port == NULL or pname == NULL or ring == NULL:
            pj_pool_release(pool)
            raise MemoryError()
        memcpy(pname, <char *>bname, len(bname))
        cdef pj_str_t sname = pj_str(pname)
        port.pool, port.frame, port.ring, port.ring_cap = pool, self.frame, ring, cap
        port.jitter = <void *>self.jitter
        pthread_mutex_init(&port.lock, NULL)
        pjmedia_port_info_init(&port.base.info, &sname, PJMEDIA_SIG_CLASS_APP(c'c', c'b', c't'), rate, 1, 16,
                               self.frame)
        port.base.get_frame = _get_frame
        port.base.put_frame = _put_frame
        port.base.on_destroy = _on_destroy
        cdef pj_status_t status = pjmedia_port_init_grp_lock(&port.base, pool, NULL)
        if status != PJ_SUCCESS:
            pthread_mutex_destroy(&port.lock)
            pj_pool_release(pool)
            raise RuntimeError(f"pjmedia_port_init_grp_lock: status {status}")
        cdef pjsua_conf_port_id slot = -1
        status = pjsua_conf_add_port(pool, &port.base, &slot)
        if status != PJ_SUCCESS:
            pjmedia_port_dec_ref(&port.base)         # on_destroy frees it
            raise RuntimeError(f"pjsua_conf_add_port: status {status}")
        self.port, self.slot = port, slot

    def feed(self, const unsigned char[::1] pcm not None, double arrival) -> None:
        """16-bit PCM the line said, received at `arrival` (time.monotonic()): whole frames go into
        the jitter buffer, numbered by the line's sample count."""
        if self.port == NULL:
            return
        if self.origin == 0.0:
            self.origin = arrival
        cdef double behind = arrival - (self.origin + <double>(self.fed + len(self.partial) // 2) / self.rate)
        if behind > GAP:
            # The line sent nothing for a while (a half-duplex modem speaking, a stalled link): the
            # stream's clock ran on, as RTP's timestamp does over silence, so the buffer hears a gap
            # and not audio that is suddenly seconds late.
            skip = <long long>(behind * self.rate) // self.frame * self.frame
            self.partial.clear()
            self.ts += <uint32_t>skip
            self.fed += skip
        self.partial += pcm
        cdef int nbytes = self.frame * 2
        cdef Py_ssize_t whole = len(self.partial) // nbytes
        if whole == 0:
            return
        cdef bytes frames = bytes(self.partial[: whole * nbytes])
        del self.partial[: whole * nbytes]
        cdef const char *data = frames
        cdef Py_ssize_t i
        cdef TdmPortC *port = self.port
        with nogil:
            pthread_mutex_lock(&port.lock)
            if not port.closed:
                for i in range(whole):
                    (<JitterBuffer>port.jitter).put_frame(self.seq & 0xFFFF, self.ts,
                                                          <const int16_t *>(data + i * nbytes), arrival)
                    self.seq += 1
                    self.ts += <uint32_t>self.frame
                    self.fed += self.frame
            pthread_mutex_unlock(&port.lock)

    def take(self, int samples) -> bytes:
        """Up to `samples` of what the bridge said to the line (16-bit PCM), silence where it said
        nothing yet (an underrun: the modem must be fed at its pace all the same)."""
        if samples <= 0:
            return b""
        out = bytearray(samples * 2)
        if self.port == NULL:
            return bytes(out)
        cdef unsigned char[::1] view = out
        cdef int16_t *dst = <int16_t *>&view[0]
        cdef TdmPortC *port = self.port
        cdef int n, i
        with nogil:
            pthread_mutex_lock(&port.lock)
            n = samples if samples < port.ring_len else port.ring_len
            for i in range(n):
                dst[i] = port.ring[(port.ring_start + i) % port.ring_cap]
            port.ring_start = (port.ring_start + n) % port.ring_cap
            port.ring_len -= n
            pthread_mutex_unlock(&port.lock)
        return bytes(out)

    def stats(self) -> dict:
        if self.port == NULL:
            return {}
        stats = self.jitter.stats()
        stats.update(frames_in=self.port.frames_in, frames_out=self.port.frames_out,
                     overwritten=self.port.overwritten, waiting=self.port.ring_len)
        return stats

    def close(self) -> None:
        """Out of the bridge; pjmedia frees the port after its last call. Idempotent."""
        cdef TdmPortC *port = self.port
        if port == NULL:
            return
        self.port = NULL
        with nogil:
            pthread_mutex_lock(&port.lock)
            port.closed = 1              # the bridge may call once more before it applies the removal
            pthread_mutex_unlock(&port.lock)
        if pjsua_get_state() == PJSUA_STATE_RUNNING:
            pjsua_conf_remove_port(self.slot)
            pjmedia_port_dec_ref(&port.base)
        # else: pjsua is gone with its bridge and pools

    def __dealloc__(self):
        # Not closed explicitly: leaked rather than freed under the clock thread (the bridge owns it).
        cdef TdmPortC *port = self.port
        if port != NULL:
            pthread_mutex_lock(&port.lock)
            port.closed = 1
            pthread_mutex_unlock(&port.lock)
