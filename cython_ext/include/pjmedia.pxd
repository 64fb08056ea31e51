# pjmedia declarations (ports, frames, the conference bridge and the jitter buffer), from our build's headers.
from pj cimport pj_bool_t, pj_pool_t, pj_size_t, pj_status_t, pj_str_t, pj_timestamp, pj_uint32_t


cdef extern from "pjmedia.h" nogil:
    ctypedef enum pjmedia_frame_type:
        PJMEDIA_FRAME_TYPE_NONE
        PJMEDIA_FRAME_TYPE_AUDIO

    ctypedef struct pjmedia_frame:
        pjmedia_frame_type type
        void *buf
        pj_size_t size
        pj_timestamp timestamp
        pj_uint32_t bit_info

    ctypedef struct pjmedia_port_info:
        pj_str_t name
        pj_uint32_t signature

    ctypedef struct pj_grp_lock_t

    ctypedef struct pjmedia_port:
        pjmedia_port_info info
        pj_grp_lock_t *grp_lock
        pj_status_t (*put_frame)(pjmedia_port *this_port, pjmedia_frame *frame) noexcept nogil
        pj_status_t (*get_frame)(pjmedia_port *this_port, pjmedia_frame *frame) noexcept nogil
        pj_status_t (*on_destroy)(pjmedia_port *this_port) noexcept nogil

    pj_uint32_t PJMEDIA_SIG_CLASS_APP(char b, char c, char d)

    pj_status_t pjmedia_port_info_init(pjmedia_port_info *info, const pj_str_t *name, unsigned signature,
                                       unsigned clock_rate, unsigned channel_count, unsigned bits_per_sample,
                                       unsigned samples_per_frame)
    pj_status_t pjmedia_port_init_grp_lock(pjmedia_port *port, pj_pool_t *pool, pj_grp_lock_t *glock)
    pj_status_t pjmedia_port_dec_ref(pjmedia_port *port)
    pj_status_t pjmedia_port_get_frame(pjmedia_port *port, pjmedia_frame *frame)
    pj_status_t pjmedia_port_put_frame(pjmedia_port *port, pjmedia_frame *frame)
    pj_status_t pjmedia_port_destroy(pjmedia_port *port)

    # The conference bridge (pjmedia/conference.h): per-listener mixing, used here for comparison.
    ctypedef struct pjmedia_conf
    enum:
        PJMEDIA_CONF_NO_DEVICE
    pj_status_t pjmedia_conf_create(pj_pool_t *pool, unsigned max_slots, unsigned sampling_rate,
                                    unsigned channel_count, unsigned samples_per_frame,
                                    unsigned bits_per_sample, unsigned options, pjmedia_conf **p_conf)
    pj_status_t pjmedia_conf_destroy(pjmedia_conf *conf)
    pjmedia_port *pjmedia_conf_get_master_port(pjmedia_conf *conf)
    pj_status_t pjmedia_conf_add_port(pjmedia_conf *conf, pj_pool_t *pool, pjmedia_port *strm_port,
                                      const pj_str_t *name, unsigned *p_slot)
    pj_status_t pjmedia_conf_remove_port(pjmedia_conf *conf, unsigned slot)
    pj_status_t pjmedia_conf_connect_port(pjmedia_conf *conf, unsigned src_slot, unsigned sink_slot,
                                          int adj_level)

    # The jitter buffer of pjmedia streams (pjmedia/jbuf.h), frame-sequence based.
    ctypedef struct pjmedia_jbuf
    ctypedef enum pjmedia_jb_frame_type:
        PJMEDIA_JB_MISSING_FRAME
        PJMEDIA_JB_NORMAL_FRAME
        PJMEDIA_JB_ZERO_PREFETCH_FRAME
        PJMEDIA_JB_ZERO_EMPTY_FRAME
    ctypedef enum pjmedia_jb_discard_algo:
        PJMEDIA_JB_DISCARD_NONE
        PJMEDIA_JB_DISCARD_STATIC
        PJMEDIA_JB_DISCARD_PROGRESSIVE
    ctypedef struct pjmedia_jb_state:
        unsigned frame_size, min_prefetch, max_prefetch, max_count, min_delay_set
        unsigned burst, prefetch, size
        unsigned avg_delay, min_delay, max_delay, dev_delay, avg_burst, lost, discard, empty

    pj_status_t pjmedia_jbuf_create(pj_pool_t *pool, const pj_str_t *name, unsigned frame_size, unsigned ptime,
                                    unsigned max_count, pjmedia_jbuf **p_jb)
    pj_status_t pjmedia_jbuf_set_adaptive(pjmedia_jbuf *jb, unsigned prefetch, unsigned min_prefetch,
                                          unsigned max_prefetch)
    pj_status_t pjmedia_jbuf_set_fixed(pjmedia_jbuf *jb, unsigned prefetch)
    pj_status_t pjmedia_jbuf_set_discard(pjmedia_jbuf *jb, pjmedia_jb_discard_algo algo)
    pj_status_t pjmedia_jbuf_destroy(pjmedia_jbuf *jb)
    void pjmedia_jbuf_put_frame3(pjmedia_jbuf *jb, const void *frame, pj_size_t size, pj_uint32_t bit_info,
                                 int frame_seq, pj_uint32_t frame_ts, pj_bool_t *discarded)
    void pjmedia_jbuf_get_frame3(pjmedia_jbuf *jb, void *frame, pj_size_t *size, char *p_frm_type,
                                 pj_uint32_t *bit_info, pj_uint32_t *ts, int *seq)
    pj_status_t pjmedia_jbuf_get_state(const pjmedia_jbuf *jb, pjmedia_jb_state *state)
