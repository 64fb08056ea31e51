"""DTMF detection (ITU-T Q.23 frequencies, Q.24 reception tolerances) with Goertzel filters.

C twin of reference/dtmf.py, whose docstring explains the checks: per 10 ms hop one Goertzel filter
per frequency; per 20 ms window (two hops) level, twist, purity, steadiness and the frequency measured
from the phase advance between hops; three valid windows in a row report a key once.
"""

from cpython.bytes cimport PyBytes_FromStringAndSize
from libc.math cimport M_PI, atan2, cos, remainder, sin
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy, memmove

cdef double[8] FREQS = [697.0, 770.0, 852.0, 941.0, 1209.0, 1336.0, 1477.0, 1633.0]
cdef const char *KEYS = b"123A456B789C*0#D"
ROWS = (697.0, 770.0, 852.0, 941.0)
COLS = (1209.0, 1336.0, 1477.0, 1633.0)
DBM0_PEAK = 22306.0
MIN_LEVEL_DBM0 = -33.0
TWIST_REVERSE_DB = 4.0
TWIST_NORMAL_DB = 8.0
STEADY_DB = 7.0
cdef double PURITY = 0.7
cdef double FREQ_TOLERANCE = 0.025
cdef enum:
    HOPS_TO_DETECT = 3
    HOPS_TO_RELEASE = 2


cdef class DtmfDetector:
    """In-band DTMF detector for one call leg (8 or 16 kHz)."""

    def __cinit__(self, int rate=8000):
        if rate not in (8000, 16000):
            raise ValueError(f"rate must be 8000 or 16000, got {rate}")
        self.rate = rate
        self.hop = rate // 100
        cdef int i
        for i in range(8):
            self.w[i] = 2 * M_PI * FREQS[i] / rate
            self.coef[i] = 2 * cos(self.w[i])
        peak = DBM0_PEAK * 10 ** (MIN_LEVEL_DBM0 / 20)
        self.min_power = peak * peak / 2
        self.twist_lo = 10 ** (-TWIST_NORMAL_DB / 10)
        self.twist_hi = 10 ** (TWIST_REVERSE_DB / 10)
        self.steady = 10 ** (STEADY_DB / 10)
        self.pending = <int16_t *>malloc(self.hop * sizeof(int16_t))
        if self.pending == NULL:
            raise MemoryError()
        self.digits = ""

    def __dealloc__(self):
        free(self.pending)

    def feed(self, const unsigned char[::1] pcm not None) -> str:
        """16-bit PCM in any amount; returns the keys detected in it (each key once per press)."""
        if pcm.shape[0] & 1:
            raise ValueError(f"16-bit PCM needs an even number of bytes, got {pcm.shape[0]}")
        cdef char found[64]
        cdef int n = 0
        cdef Py_ssize_t total = pcm.shape[0] // 2, done = 0, chunk
        out = ""
        while done < total:
            chunk = min(total - done, 60 * self.hop)  # at most 60 keys fit in `found`
            with nogil:
                n = self.feed_samples(<const int16_t *>&pcm[2 * done], chunk, found, 64)
            out += found[:n].decode("ascii")
            done += chunk
        self.digits += out
        return out

    cdef int feed_samples(self, const int16_t *pcm, Py_ssize_t n, char *found, int found_size) noexcept nogil:
        cdef Py_ssize_t i = 0
        cdef int take, nfound = 0, k, j
        cdef double s1, s2, s0, e, y_re, y_im, c, sn
        cdef double cur_re[8]
        cdef double cur_im[8]
        cdef const int16_t *block
        cdef char key
        while i < n:
            take = self.hop - self.npending
            if take > n - i:
                take = <int>(n - i)
            memcpy(self.pending + self.npending, pcm + i, take * sizeof(int16_t))
            self.npending += take
            i += take
            if self.npending < self.hop:
                break
            self.npending = 0
            block = self.pending
            e = 0.0
            for j in range(self.hop):
                e += <double>block[j] * block[j]
            for k in range(8):
                s1 = 0.0
                s2 = 0.0
                for j in range(self.hop):
                    s0 = block[j] + self.coef[k] * s1 - s2
                    s2 = s1
                    s1 = s0
                # y[N-1] = s1 - e^{-jw} s2; sum_n x[n] e^{-jwn} = e^{-jw(N-1)} y[N-1]
                y_re = s1 - cos(self.w[k]) * s2
                y_im = sin(self.w[k]) * s2
                c = cos(self.w[k] * (self.hop - 1))
                sn = -sin(self.w[k] * (self.hop - 1))
                cur_re[k] = y_re * c - y_im * sn
                cur_im[k] = y_re * sn + y_im * c
            if self.have_prev:
                key = self._classify(cur_re, cur_im, e)
                if key:
                    self.invalid = 0
                    self.run = self.run + 1 if key == self.key else 1
                    self.key = key
                    if self.run >= HOPS_TO_DETECT and self.reported != key:
                        self.reported = key
                        if nfound < found_size:
                            found[nfound] = key
                            nfound += 1
                else:
                    self.invalid += 1
                    self.run = 0
                    self.key = 0
                    if self.invalid >= HOPS_TO_RELEASE:
                        self.reported = 0
            memcpy(self.prev_re, cur_re, sizeof(cur_re))
            memcpy(self.prev_im, cur_im, sizeof(cur_im))
            self.prev_energy = e
            self.have_prev = True
        return nfound

    cdef char _classify(self, double *cur_re, double *cur_im, double ec) noexcept nogil:
        cdef double power[8]
        cdef double a, b, re, im, err, offset
        cdef int i, k, row = 0, col = 4, h = self.hop
        cdef int pick[2]
        for i in range(8):
            a = self.prev_re[i] * self.prev_re[i] + self.prev_im[i] * self.prev_im[i]
            b = cur_re[i] * cur_re[i] + cur_im[i] * cur_im[i]
            power[i] = 2 * (a + b) / (<double>h * h) / 2      # mean square per tone
        for i in range(1, 4):
            if power[i] > power[row]:
                row = i
            if power[4 + i] > power[col]:
                col = 4 + i
        if power[row] < self.min_power or power[col] < self.min_power:
            return 0
        if not self.twist_lo <= power[col] / power[row] <= self.twist_hi:
            return 0
        if power[row] + power[col] < PURITY * (self.prev_energy + ec) / (2 * h):
            return 0
        pick[0] = row
        pick[1] = col
        for k in range(2):
            i = pick[k]
            a = self.prev_re[i] * self.prev_re[i] + self.prev_im[i] * self.prev_im[i]
            b = cur_re[i] * cur_re[i] + cur_im[i] * cur_im[i]
            if a == 0 or b == 0 or not 1 / self.steady <= a / b <= self.steady:
                return 0
            # Phase advance over one hop, less the nominal one, is the frequency error.
            re = cur_re[i] * self.prev_re[i] + cur_im[i] * self.prev_im[i]
            im = cur_im[i] * self.prev_re[i] - cur_re[i] * self.prev_im[i]
            err = remainder(atan2(im, re) - self.w[i] * h, 2 * M_PI)
            offset = err * self.rate / (2 * M_PI * h)
            if offset < 0:
                offset = -offset
            if offset > FREQ_TOLERANCE * FREQS[i]:
                return 0
        return KEYS[row * 4 + (col - 4)]
