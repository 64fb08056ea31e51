"""Tone generation: call-progress cadences and DTMF, click-free (2 ms ramps at every tone edge).

C twin of reference/tones.py. A cadence is a list of segments (frequencies, ms) or (frequencies, ms,
dBm0 per frequency); () is silence and 0 ms is "forever". Levels are dBm0 in the G.711 sense.
"""

from libc.math cimport M_PI, floor, sin
from libc.stdint cimport int16_t, int64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memset

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize

DBM0_PEAK = 22306.0
RAMP_MS = 2.0
DTMF_ROWS = (697.0, 770.0, 852.0, 941.0)
DTMF_COLS = (1209.0, 1336.0, 1477.0, 1633.0)
KEYS = "123A456B789C*0#D"

CALL_PROGRESS = {
    "eu": {  # ETSI TR 101 041 / CEPT: 425 Hz
        "dial": [((425.0,), 0)],
        "ringback": [((425.0,), 1000), ((), 4000)],
        "busy": [((425.0,), 500), ((), 500)],
        "congestion": [((425.0,), 250), ((), 250)],
        "waiting": [((425.0,), 200), ((), 200), ((425.0,), 200), ((), 9400)],
    },
    "us": {  # ANSI T1.401 precise tones
        "dial": [((350.0, 440.0), 0)],
        "ringback": [((440.0, 480.0), 2000), ((), 4000)],
        "busy": [((480.0, 620.0), 500), ((), 500)],
        "congestion": [((480.0, 620.0), 250), ((), 250)],
        "waiting": [((440.0,), 300), ((), 9700)],
    },
}


def amplitude(double dbm0) -> float:
    return DBM0_PEAK * 10 ** (dbm0 / 20)


def dtmf_pair(str key) -> tuple:
    i = KEYS.find(key.upper())
    if i < 0 or len(key) != 1:
        raise ValueError(f"not a DTMF key: {key!r}")
    return DTMF_ROWS[i // 4], DTMF_COLS[i % 4]


cdef class ToneGenerator:
    """Plays one cadence at a time, phase-continuous across read() calls."""

    def __cinit__(self, int rate=8000):
        if rate not in (8000, 16000):
            raise ValueError(f"rate must be 8000 or 16000, got {rate}")
        self.rate = rate
        self.done_ = True

    def __dealloc__(self):
        free(self.segments)

    def play(self, cadence, double level_dbm0=-13.0, bint repeat=True) -> None:
        """Starts a cadence of segments (frequencies, ms) or (frequencies, ms, dBm0 per frequency)."""
        cadence = list(cadence)
        if not cadence:
            raise ValueError("empty cadence")
        cdef Segment *segs = <Segment *>malloc(len(cadence) * sizeof(Segment))
        if segs == NULL:
            raise MemoryError()
        cdef int i, k
        try:
            for i, seg in enumerate(cadence):
                freqs, ms = tuple(float(f) for f in seg[0]), seg[1]
                if len(freqs) > 4:
                    raise ValueError("at most 4 frequencies per segment")
                lv = tuple(seg[2]) if len(seg) > 2 else (level_dbm0,) * len(freqs)
                if len(lv) != len(freqs):
                    raise ValueError("one level per frequency")
                segs[i].nfreq = len(freqs)
                for k in range(len(freqs)):
                    segs[i].freq[k] = freqs[k]
                    segs[i].amp[k] = amplitude(lv[k])
                segs[i].samples = <int64_t>(self.rate * ms / 1000) if ms > 0 else -1
        except BaseException:
            free(segs)
            raise
        free(self.segments)
        self.segments = segs
        self.nsegments = len(cadence)
        self.repeat = repeat
        self.seg = 0
        self.pos = 0
        self.done_ = False

    def stop(self) -> None:
        self.done_ = True

    @property
    def done(self) -> bool:
        return self.done_

    def read(self, Py_ssize_t samples) -> bytes:
        """The next `samples` of the cadence (silence once it has ended)."""
        out = PyBytes_FromStringAndSize(NULL, 2 * samples)
        cdef int16_t *dst = <int16_t *>PyBytes_AS_STRING(out)
        with nogil:
            self.read_into(dst, samples)
        return out

    cdef void read_into(self, int16_t *out, Py_ssize_t samples) noexcept nogil:
        cdef Py_ssize_t i = 0, take, k
        cdef int64_t t, n, ramp = <int64_t>(self.rate * RAMP_MS_C / 1000)
        cdef double v, g, r
        cdef int j
        cdef Segment *s
        if ramp < 1:
            ramp = 1
        memset(out, 0, samples * sizeof(int16_t))
        while i < samples and not self.done_:
            s = &self.segments[self.seg]
            n = s.samples
            take = samples - i if n < 0 else min(samples - i, n - self.pos)
            for k in range(take):
                t = self.pos + k
                v = 0.0
                for j in range(s.nfreq):
                    v += s.amp[j] * sin(2 * M_PI * s.freq[j] * t / self.rate)
                g = 1.0
                if t < ramp:
                    g = <double>t / ramp
                if n >= 0 and n - 1 - t < ramp:
                    r = <double>(n - 1 - t) / ramp
                    if r < g:
                        g = r
                v = floor(v * g + 0.5)
                out[i + k] = <int16_t>(32767 if v > 32767 else (-32768 if v < -32768 else v))
            i += take
            self.pos += take
            if n >= 0 and self.pos >= n:
                self.pos = 0
                self.seg += 1
                if self.seg == self.nsegments:
                    self.seg = 0
                    self.done_ = not self.repeat


cdef double RAMP_MS_C = 2.0


def dtmf(str keys, int rate=8000, int on_ms=80, int off_ms=80, double level_dbm0=-10.0,
         double twist_db=0.0) -> bytes:
    """A key sequence as audio: each key on_ms of its tone pair then off_ms of silence.
    twist_db > 0 makes the column tone louder than the row tone."""
    gen = ToneGenerator(rate)
    cadence = []
    for key in keys:
        cadence += [(dtmf_pair(key), on_ms, (level_dbm0 - twist_db / 2, level_dbm0 + twist_db / 2)), ((), off_ms)]
    if not cadence:
        return b""
    gen.play(cadence, repeat=False)
    return gen.read(len(keys) * (rate * on_ms // 1000 + rate * off_ms // 1000))
