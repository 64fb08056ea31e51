# pjlib declarations (only what cython_ext uses), from the headers of our pjproject build.
from libc.stdint cimport int32_t, uint32_t, uint64_t


cdef extern from "pjlib.h" nogil:
    ctypedef int pj_status_t
    ctypedef int pj_bool_t
    ctypedef size_t pj_size_t
    ctypedef int32_t pj_int32_t
    ctypedef uint32_t pj_uint32_t
    ctypedef uint64_t pj_uint64_t

    enum:
        PJ_SUCCESS
        PJ_TRUE
        PJ_FALSE

    ctypedef struct pj_str_t:
        char *ptr
        long slen

    ctypedef union pj_timestamp:
        pj_uint64_t u64

    ctypedef struct pj_pool_t
    ctypedef struct pj_pool_factory:
        pass
    ctypedef struct pj_pool_factory_policy:
        pass
    ctypedef struct pj_caching_pool:
        pj_pool_factory factory

    pj_pool_factory_policy pj_pool_factory_default_policy

    pj_status_t pj_init()
    void pj_shutdown()
    pj_bool_t pj_thread_is_registered()
    void pj_log_set_level(int level)
    pj_str_t pj_str(char *s)
    void pj_caching_pool_init(pj_caching_pool *cp, const pj_pool_factory_policy *policy, pj_size_t max_capacity)
    void pj_caching_pool_destroy(pj_caching_pool *cp)
    pj_pool_t *pj_pool_create(pj_pool_factory *factory, const char *name, pj_size_t initial_size,
                              pj_size_t increment_size, void *callback)
    void pj_pool_release(pj_pool_t *pool)
    void *pj_pool_zalloc(pj_pool_t *pool, pj_size_t size)
    char *pj_strerror(pj_status_t statcode, char *buf, pj_size_t bufsize)
