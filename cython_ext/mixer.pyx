"""Conference mixer: every conference of one tick mixed in one GIL-free call, O(N) per conference.

Per conference the tick sums what its members say once (32-bit), then gives each member that sum
minus its own contribution, clipped once to 16 bits. Whispering supervisors go to a second sum that
only agents hear; listening supervisors add to no sum. Each stereo tap interleaves what two
connections said (customer left, agent right) and can append it to a Recorder's ring.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from cpython.mem cimport PyMem_Free
from cpython.pythread cimport (
    PyThread_acquire_lock, PyThread_allocate_lock, PyThread_free_lock, PyThread_release_lock, WAIT_LOCK,
)
from libc.stdint cimport int16_t, int32_t, int64_t
from libc.stdlib cimport calloc, free, realloc
from libc.string cimport memcpy, memset

from cython_ext.recorder cimport Recorder, Ring, ring_write

ROLES = {"party": ROLE_PARTY, "customer": ROLE_PARTY, "agent": ROLE_AGENT, "supervisor": ROLE_SUPERVISOR}
MODES = {"talk": MODE_TALK, "barge": MODE_TALK, "listen": MODE_LISTEN, "whisper": MODE_WHISPER}
RATES = (8000, 16000)


cdef inline void _accumulate(int32_t *acc, const int16_t *x, int32_t gain, int n) noexcept nogil:
    cdef int i
    if gain == UNITY:
        for i in range(n):
            acc[i] += x[i]
    else:
        for i in range(n):
            acc[i] += (x[i] * gain) >> 12


cdef inline int16_t _clip(int32_t v) noexcept nogil:
    if v > 32767:
        v = 32767
    if v < -32768:
        v = -32768
    return <int16_t>v


cdef void _emit_minus_own(int16_t *out, const int32_t *acc, const int16_t *own, int n) noexcept nogil:
    # The common case, kept simple enough for gcc to vectorise: unity gains, no whisper.
    cdef int i
    cdef int32_t v
    for i in range(n):
        v = acc[i] - own[i]
        if v > 32767:
            v = 32767
        if v < -32768:
            v = -32768
        out[i] = <int16_t>v


cdef void _emit(int16_t *out, const int32_t *acc, const int32_t *extra, const int16_t *own,
                int32_t own_gain, int32_t hear_gain, int n) noexcept nogil:
    cdef int i
    cdef int32_t v
    cdef int64_t w
    for i in range(n):
        v = acc[i]
        if extra != NULL:
            v += extra[i]
        if own != NULL:
            v -= own[i] if own_gain == UNITY else (own[i] * own_gain) >> 12
        if hear_gain != UNITY:
            w = (<int64_t>v * hear_gain) >> 12
            v = <int32_t>(32767 if w > 32767 else (-32768 if w < -32768 else w))
        out[i] = _clip(v)


cdef int32_t _q12(double gain) except -1:
    if not 0.0 <= gain <= 8.0:
        raise ValueError(f"gain must be within 0.0 .. 8.0, got {gain}")
    return <int32_t>(gain * UNITY + 0.5)


cdef class Mixer:
    """All conferences of one sample rate. Ids of conferences and connections are small ints."""

    def __cinit__(self, int rate=8000, int ptime_ms=20, int capacity=1024):
        if rate not in RATES:
            raise ValueError(f"rate must be one of {RATES}, got {rate}")
        if ptime_ms <= 0 or (rate * ptime_ms) % 1000:
            raise ValueError(f"ptime_ms {ptime_ms} gives no whole frame at {rate} Hz")
        if capacity <= 0:
            raise ValueError("capacity must be positive")
        self.rate = rate
        self.frame = rate * ptime_ms // 1000
        self.capacity = capacity
        self.conns = <Connection *>calloc(capacity, sizeof(Connection))
        self.confs = <Conference *>calloc(capacity, sizeof(Conference))
        self.taps = <Tap *>calloc(capacity, sizeof(Tap))
        self.inputs = <int16_t *>calloc(<size_t>capacity * self.frame, sizeof(int16_t))
        self.outputs = <int16_t *>calloc(<size_t>capacity * self.frame, sizeof(int16_t))
        self.acc_all = <int32_t *>calloc(self.frame, sizeof(int32_t))
        self.acc_whisper = <int32_t *>calloc(self.frame, sizeof(int32_t))
        self.lock = PyThread_allocate_lock()
        if (not self.conns or not self.confs or not self.taps or not self.inputs or not self.outputs
                or not self.acc_all or not self.acc_whisper or not self.lock):
            raise MemoryError()
        cdef int i
        for i in range(capacity):
            self.conns[i].conference = -1
            self.taps[i].left = -1
        self.sinks = [None] * capacity

    def __dealloc__(self):
        cdef int i
        if self.confs != NULL:
            for i in range(self.capacity):
                free(self.confs[i].members)
        if self.taps != NULL:
            for i in range(self.capacity):
                free(self.taps[i].frame)
        free(self.conns)
        free(self.confs)
        free(self.taps)
        free(self.inputs)
        free(self.outputs)
        free(self.acc_all)
        free(self.acc_whisper)
        if self.lock != NULL:
            PyThread_free_lock(self.lock)

    # -- configuration (Python, under the lock the tick takes) ------------------------------------

    cdef int _check_conn(self, int conn) except -1:
        if not 0 <= conn < self.capacity or self.conns[conn].conference < 0:
            raise KeyError(f"no connection {conn}")
        return 0

    def conference(self) -> int:
        """A new, empty conference."""
        cdef int c
        for c in range(self.capacity):
            if not self.confs[c].used:
                self.confs[c].used = 1
                self.confs[c].n = 0
                self.conf_top = max(self.conf_top, c + 1)
                return c
        raise RuntimeError(f"all {self.capacity} conferences in use")

    def close_conference(self, int conference) -> None:
        """Disconnects every member and frees the conference."""
        if not 0 <= conference < self.capacity or not self.confs[conference].used:
            raise KeyError(f"no conference {conference}")
        while self.confs[conference].n:
            self.disconnect(self.confs[conference].members[0])
        self.confs[conference].used = 0

    def connect(self, int conference, str role="party", str mode="talk") -> int:
        """Adds a connection (a call leg) to a conference; returns its id."""
        if not 0 <= conference < self.capacity or not self.confs[conference].used:
            raise KeyError(f"no conference {conference}")
        if role not in ROLES:
            raise ValueError(f"role must be one of {sorted(ROLES)}, got {role!r}")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {sorted(MODES)}, got {mode!r}")
        cdef int conn = -1, i
        for i in range(self.capacity):
            if self.conns[i].conference < 0:
                conn = i
                break
        if conn < 0:
            raise RuntimeError(f"all {self.capacity} connections in use")
        cdef Conference *conf = &self.confs[conference]
        cdef int32_t *members
        PyThread_acquire_lock(self.lock, WAIT_LOCK)
        try:
            if conf.n == conf.cap:
                members = <int32_t *>realloc(conf.members, (conf.cap * 2 + 4) * sizeof(int32_t))
                if members == NULL:
                    raise MemoryError()
                conf.members = members
                conf.cap = conf.cap * 2 + 4
            conf.members[conf.n] = conn
            self.conn_top = max(self.conn_top, conn + 1)
            conf.n += 1
            self.conns[conn].conference = conference
            self.conns[conn].role = ROLES[role]
            self.conns[conn].mode = MODES[mode]
            self.conns[conn].speak_gain = UNITY
            self.conns[conn].hear_gain = UNITY
            self.conns[conn].muted = 0
            self.conns[conn].has_input = 0
            memset(self.outputs + <size_t>conn * self.frame, 0, self.frame * sizeof(int16_t))
        finally:
            PyThread_release_lock(self.lock)
        return conn

    def disconnect(self, int conn) -> None:
        self._check_conn(conn)
        cdef Conference *conf = &self.confs[self.conns[conn].conference]
        cdef int i, t
        PyThread_acquire_lock(self.lock, WAIT_LOCK)
        for i in range(conf.n):
            if conf.members[i] == conn:
                conf.members[i] = conf.members[conf.n - 1]
                conf.n -= 1
                break
        self.conns[conn].conference = -1
        for t in range(self.capacity):
            if self.taps[t].left == conn or self.taps[t].right == conn:
                self.taps[t].left = -1
                self.taps[t].sink = NULL
        PyThread_release_lock(self.lock)
        for t in range(self.capacity):
            if self.taps[t].left < 0:
                self.sinks[t] = None

    def members(self, int conference) -> list:
        if not 0 <= conference < self.capacity or not self.confs[conference].used:
            raise KeyError(f"no conference {conference}")
        return sorted(self.confs[conference].members[i] for i in range(self.confs[conference].n))

    def set_mode(self, int conn, str mode) -> None:
        """talk/barge: heard by all; listen: heard by none; whisper: heard by agents only."""
        self._check_conn(conn)
        if mode not in MODES:
            raise ValueError(f"mode must be one of {sorted(MODES)}, got {mode!r}")
        self.conns[conn].mode = MODES[mode]

    def set_gain(self, int conn, double speak=1.0, double hear=1.0) -> None:
        """Linear gains (0 .. 8) on what the connection says and on what it hears."""
        self._check_conn(conn)
        cdef int32_t s = _q12(speak), h = _q12(hear)
        self.conns[conn].speak_gain = s
        self.conns[conn].hear_gain = h

    def set_mute(self, int conn, bint muted) -> None:
        """A muted connection is heard by no one (and still hears)."""
        self._check_conn(conn)
        self.conns[conn].muted = muted

    def tap(self, int left, int right, Recorder recorder=None) -> int:
        """A stereo view of one call: what `left` said on the left channel, `right` on the right."""
        self._check_conn(left)
        self._check_conn(right)
        if recorder is not None and (recorder.channels != 2 or recorder.rate != self.rate):
            raise ValueError(f"the recorder must be stereo at {self.rate} Hz")
        cdef int t
        for t in range(self.capacity):
            if self.taps[t].left < 0:
                break
        else:
            raise RuntimeError(f"all {self.capacity} taps in use")
        if self.taps[t].frame == NULL:
            self.taps[t].frame = <int16_t *>calloc(2 * self.frame, sizeof(int16_t))
            if self.taps[t].frame == NULL:
                raise MemoryError()
        memset(self.taps[t].frame, 0, 2 * self.frame * sizeof(int16_t))
        self.sinks[t] = recorder
        PyThread_acquire_lock(self.lock, WAIT_LOCK)
        self.taps[t].right = right
        self.taps[t].sink = &recorder.ring if recorder is not None else NULL
        self.taps[t].left = left
        self.tap_top = max(self.tap_top, t + 1)
        PyThread_release_lock(self.lock)
        return t

    def untap(self, int tap) -> None:
        if not 0 <= tap < self.capacity or self.taps[tap].left < 0:
            raise KeyError(f"no tap {tap}")
        PyThread_acquire_lock(self.lock, WAIT_LOCK)
        self.taps[tap].left = -1
        self.taps[tap].sink = NULL
        PyThread_release_lock(self.lock)
        self.sinks[tap] = None

    # -- audio ------------------------------------------------------------------------------------

    def write(self, int conn, const unsigned char[::1] pcm not None) -> None:
        """What the connection says during this tick: one frame of 16-bit PCM."""
        self._check_conn(conn)
        if pcm.shape[0] != 2 * self.frame:
            raise ValueError(f"a frame is {2 * self.frame} bytes at {self.rate} Hz, got {pcm.shape[0]}")
        memcpy(self.input_slot(conn), &pcm[0], 2 * self.frame)
        self.mark_input(conn)

    def read(self, int conn) -> bytes:
        """What the connection hears, from the last tick."""
        self._check_conn(conn)
        out = PyBytes_FromStringAndSize(<char *>self.output_slot(conn), 2 * self.frame)
        return out

    def read_tap(self, int tap) -> bytes:
        """The last tick's stereo frame of a tap (interleaved, left first)."""
        if not 0 <= tap < self.capacity or self.taps[tap].left < 0:
            raise KeyError(f"no tap {tap}")
        return PyBytes_FromStringAndSize(<char *>self.taps[tap].frame, 4 * self.frame)

    def tick(self, bint keep_inputs=False) -> None:
        """Mixes every conference and fills every tap; inputs are consumed unless keep_inputs."""
        with nogil:
            self.mix(keep_inputs)

    # -- C level ----------------------------------------------------------------------------------

    cdef int16_t *input_slot(self, int conn) noexcept nogil:
        return self.inputs + <size_t>conn * self.frame

    cdef const int16_t *output_slot(self, int conn) noexcept nogil:
        return self.outputs + <size_t>conn * self.frame

    cdef void mark_input(self, int conn) noexcept nogil:
        self.conns[conn].has_input = 1

    cdef void mix(self, bint keep_inputs) noexcept nogil:
        cdef int c, k, m, i, n = self.frame
        cdef Conference *conf
        cdef Connection *cn
        cdef bint whisper, own
        cdef Tap *tap
        cdef const int16_t *l
        cdef const int16_t *r
        PyThread_acquire_lock(self.lock, WAIT_LOCK)
        for c in range(self.conf_top):
            conf = &self.confs[c]
            if not conf.used or conf.n == 0:
                continue
            memset(self.acc_all, 0, n * sizeof(int32_t))
            whisper = False
            for k in range(conf.n):
                m = conf.members[k]
                cn = &self.conns[m]
                if not cn.has_input or cn.muted or cn.mode == MODE_LISTEN:
                    continue
                if cn.mode == MODE_WHISPER:
                    if not whisper:
                        memset(self.acc_whisper, 0, n * sizeof(int32_t))
                        whisper = True
                    _accumulate(self.acc_whisper, self.inputs + <size_t>m * n, cn.speak_gain, n)
                else:
                    _accumulate(self.acc_all, self.inputs + <size_t>m * n, cn.speak_gain, n)
            for k in range(conf.n):
                m = conf.members[k]
                cn = &self.conns[m]
                # Its own voice is in a sum it hears: everyone's if it talks, the agents' if it is an
                # agent who whispers (whoever it is, a listener's voice is in no sum).
                own = cn.has_input and not cn.muted and (
                    cn.mode == MODE_TALK or (cn.mode == MODE_WHISPER and cn.role == ROLE_AGENT))
                if own and cn.speak_gain == UNITY and cn.hear_gain == UNITY and not (
                        whisper and cn.role == ROLE_AGENT):
                    _emit_minus_own(self.outputs + <size_t>m * n, self.acc_all, self.inputs + <size_t>m * n, n)
                else:
                    _emit(self.outputs + <size_t>m * n, self.acc_all,
                          self.acc_whisper if whisper and cn.role == ROLE_AGENT else NULL,
                          self.inputs + <size_t>m * n if own else NULL,
                          cn.speak_gain, cn.hear_gain, n)
        for c in range(self.tap_top):
            tap = &self.taps[c]
            if tap.left < 0:
                continue
            l = self.inputs + <size_t>tap.left * n
            r = self.inputs + <size_t>tap.right * n
            if not self.conns[tap.left].has_input:
                l = NULL
            if not self.conns[tap.right].has_input:
                r = NULL
            for i in range(n):
                tap.frame[2 * i] = l[i] if l != NULL else 0
                tap.frame[2 * i + 1] = r[i] if r != NULL else 0
            if tap.sink != NULL:
                ring_write(tap.sink, tap.frame, 4 * n)
        if not keep_inputs:
            for c in range(self.conn_top):
                self.conns[c].has_input = 0
        PyThread_release_lock(self.lock)
