/*
 * Callbox build settings for pjproject (copied to pjlib/include/pj/config_site.h by build.sh).
 *
 * Upstream defaults are sized for a phone: PJSUA_MAX_CALLS is 4 (the 5th INVITE gets 486) and
 * the ioqueue takes 64 sockets. The engine is a B2BUA with hundreds of legs, so raise the caps.
 * Any change here changes the cache key in build.sh, so the next `make` rebuilds.
 *
 * Compiled caps are upper bounds: the engine still chooses its runtime values (uaConfig.maxCalls,
 * medConfig.maxMediaPorts, ...), and a runtime value above the compiled cap is clamped silently.
 */
#ifndef CALLBOX_PJ_CONFIG_SITE_H
#define CALLBOX_PJ_CONFIG_SITE_H

/* Calls (legs). build.sh refuses a build whose compiled cap is below 512. */
#define PJSUA_MAX_CALLS                 1024

/* Accounts: trunks, the local service account and a few spares. */
#define PJSUA_MAX_ACC                   32

/* pjsua2 players (prompts, music on hold) and recorders. */
#define PJSUA_MAX_PLAYERS               256
#define PJSUA_MAX_RECORDERS             1024

/* Conference bridge slots: every call leg, player and recorder takes one.
 * 1024 + 256 + 1024 = 2304, plus room for the engine's own pjmedia ports. */
#define PJSUA_MAX_CONF_PORTS            2500

/* Sockets in one ioqueue (with --enable-epoll this is a count, not an fd_set size).
 * A call leg holds RTP + RTCP (2 sockets; 4 if the 2.17 text stream is not turned off
 * with textCount = 0). The process also needs RLIMIT_NOFILE above this. */
#define PJ_IOQUEUE_MAX_HANDLES          8192

/* Hash table sizes (2^n - 1). A finished transaction lingers up to 32 s (timers D/J),
 * so 400 call setups/s keep tens of thousands alive. */
#define PJSIP_MAX_TSX_COUNT             ((16 * 1024) - 1)
#define PJSIP_MAX_DIALOG_COUNT          ((4 * 1024) - 1)

/* Compile in up to level 5 (the upstream default); the runtime level stays configurable. */
#define PJ_LOG_MAX_LEVEL                5

#endif /* CALLBOX_PJ_CONFIG_SITE_H */
