"""Starts kamailio, the box's SIP edge, with rootfs/etc/kamailio/kamailio.cfg.

The configuration file is the same in development and on the image; everything that
differs (addresses, ports, the database) is passed as `-A NAME=VALUE` defines.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from firmware import paths
from firmware.config import BoxConfig
from firmware.edge import rpc

log = logging.getLogger(__name__)

# kamailio's debug level: -1 errors, 0 warnings, 1 notices (default), 2 info, 3 debug.
LOG_LEVEL_ENV = "CALLBOX_EDGE_LOG_LEVEL"
# Flood limit, requests per 2 s from one source address (default 64, see kamailio.cfg);
# load tests that send everything from 127.0.0.1 raise it.
PIKE_DENSITY_ENV = "CALLBOX_EDGE_PIKE_DENSITY"
# Calls in setup at the engine (INVITEs without its final reply), and calls admitted per second,
# before the edge answers new ones 503 (defaults 10 and 65, see kamailio.cfg route[ADMIT]).
SETUP_LIMIT_ENV = "CALLBOX_EDGE_SETUP_LIMIT"
SETUP_RATE_ENV = "CALLBOX_EDGE_SETUP_RATE"
# "0": the edge does not refuse new calls when the engine says it is busy (for benchmarks that compare).
ENGINE_LOAD_ENV = "CALLBOX_EDGE_ENGINE_LOAD"

_ANY_ADDRESS = {"", "0.0.0.0", "::", "[::]"}


def config_file(config: BoxConfig) -> Path:
    return config.rootfs / "etc" / "kamailio" / "kamailio.cfg"


def kamailio_binary() -> str:
    return shutil.which("kamailio") or "/usr/sbin/kamailio"


def _host(address: str) -> str:
    """An address as it appears in a SIP URI or a listen spec (IPv6 in brackets)."""
    address = address.strip("[]")
    return f"[{address}]" if ":" in address else address


def engine_address(config: BoxConfig) -> str:
    """Where the engine sends from. When the box listens on every address, the engine is on loopback."""
    return "127.0.0.1" if config.bind_address in _ANY_ADDRESS else config.bind_address.strip("[]")


def ctl_socket_path() -> Path:
    """kamcmd's way in: `kamcmd -s <this path> ul.dump`."""
    return paths.run_dir() / "kamailio_ctl"


def kamailio_argv(config: BoxConfig, log_level: int | None = None) -> list[str]:
    """The full command line; paths come from `firmware.paths` (so from $CALLBOX_DATA)."""
    if log_level is None:
        log_level = int(os.environ.get(LOG_LEVEL_ENV) or 1)
    bind = "0.0.0.0" if config.bind_address in ("", "0.0.0.0") else config.bind_address
    engine = engine_address(config)
    defines = {
        "BIND_IP": _host(bind),
        "SIP_PORT": str(config.sip_port),
        "ENGINE_IP": _host(engine),
        "ENGINE_PORT": str(config.engine_port),
        # Quoted: used as strings in the configuration.
        "ENGINE_URI": f'"sip:{_host(engine)}:{config.engine_port}"',
        "DB_URL": f'"sqlite://{paths.database_path()}"',
        "CTL_SOCKET": f'"unix:{ctl_socket_path()}"',
        "RPC_FIFO": f'"{rpc.fifo_path()}"',
        "RPC_REPLY_DIR": f'"{rpc.reply_dir()}/"',
        "LOG_LEVEL": str(log_level),
    }
    if os.environ.get(PIKE_DENSITY_ENV):
        defines["PIKE_DENSITY"] = str(int(os.environ[PIKE_DENSITY_ENV]))
    if os.environ.get(SETUP_LIMIT_ENV):
        defines["SETUP_LIMIT"] = str(int(os.environ[SETUP_LIMIT_ENV]))
    if os.environ.get(SETUP_RATE_ENV):
        defines["SETUP_RATE"] = str(int(os.environ[SETUP_RATE_ENV]))
    if os.environ.get(ENGINE_LOAD_ENV) == "0":
        defines["IGNORE_ENGINE_LOAD"] = "1"
    argv = [
        kamailio_binary(),
        "-DD",                       # stay in the foreground (supervisor is the parent)
        "-E",                        # log to stderr
        "-Y", str(paths.run_dir()),  # runtime files
        "-f", str(config_file(config)),
    ]
    for name, value in defines.items():
        argv += ["-A", f"{name}={value}"]
    return argv


def exec_kamailio(config: BoxConfig) -> int:
    """Prepares the data directory and database, then replaces this process with kamailio."""
    from firmware.store import open_store

    paths.ensure_layout()
    # auth_db reads the `subscriber` view at start: the schema must exist before kamailio does.
    open_store().close()
    argv = kamailio_argv(config)
    os.execv(argv[0], argv)
    return 1  # not reached


def reload_trunk_addresses(timeout: float = 2.0) -> bool:
    """Tells the running edge to read the trunks' addresses again (after a configuration change).

    A JSON-RPC command over the edge's FIFO (a few milliseconds; a kamcmd process took up to 2 s of
    the engine's loop). False, with a log line, if the edge could not be told (not running yet: it
    reads them at start).
    """
    try:
        rpc.call("permissions.addressReload", timeout=timeout)
    except (rpc.EdgeUnavailable, rpc.EdgeError, OSError) as exc:
        log.warning("edge not told to reload trunk addresses: %s", exc)
        return False
    return True
