# pjsua-lib declarations: the conference bridge of the running pjsua instance (the one pjsua2 drives).
from pj cimport pj_pool_t, pj_size_t, pj_status_t
from pjmedia cimport pjmedia_port


cdef extern from "pjsua-lib/pjsua.h" nogil:
    ctypedef int pjsua_conf_port_id
    ctypedef enum pjsua_state:
        PJSUA_STATE_NULL
        PJSUA_STATE_CREATED
        PJSUA_STATE_INIT
        PJSUA_STATE_STARTING
        PJSUA_STATE_RUNNING
        PJSUA_STATE_CLOSING
    enum:
        PJSUA_INVALID_ID

    pjsua_state pjsua_get_state()
    pj_pool_t *pjsua_pool_create(const char *name, pj_size_t init_size, pj_size_t increment)
    pj_status_t pjsua_conf_add_port(pj_pool_t *pool, pjmedia_port *port, pjsua_conf_port_id *p_id)
    pj_status_t pjsua_conf_remove_port(pjsua_conf_port_id port_id)
    pj_status_t pjsua_conf_connect(pjsua_conf_port_id source, pjsua_conf_port_id sink)
    pj_status_t pjsua_conf_disconnect(pjsua_conf_port_id source, pjsua_conf_port_id sink)
    unsigned pjsua_conf_get_active_ports()
