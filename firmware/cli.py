"""The `callbox` command: start the box or one of its processes, and the administrator's chores."""

from __future__ import annotations

import argparse
import ctypes
import getpass
import json
import os
import shutil
import signal
import sys
from pathlib import Path

from firmware import paths
from firmware.config import BoxConfig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="callbox", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("run", help="start the whole box in the foreground under supervisor")
    sub.add_parser("engine", help="run the engine (pjsua2 B2BUA, queues)")
    sub.add_parser("edge", help="run kamailio, the SIP edge")
    sub.add_parser("web", help="run the web UI under gunicorn")
    sub.add_parser("notifier", help="send alarm notices by e-mail and SMS")
    sub.add_parser("redirect", help="answer plain HTTP with a redirect to the web over HTTPS (the image)")
    sub.add_parser("board", help="supervisor event listener: bypass relay and status LED follow the engine")
    sub.add_parser("migrate", help="create or upgrade the database")
    sub.add_parser("prompts", help="generate the default prompt set")
    sub.add_parser("console", help="the installer's menu (the serial console runs this)")
    from firmware.backup import commands as backup_commands

    backup_commands.add_arguments(sub)
    update = sub.add_parser("update", help="firmware updates (RAUC): install, status, health; `callbox update -h`",
                            add_help=False)
    update.add_argument("update_args", nargs=argparse.REMAINDER)
    installer = sub.add_parser("installer-password", help="set the installer's password (unlocks the console's menu)")
    installer.add_argument("--password-stdin", action="store_true", help="read the password from stdin")

    admin = sub.add_parser("admin", help="administrator accounts").add_subparsers(dest="action", required=True)
    create_admin = admin.add_parser("create", help="create the first admin (only while there is no user)")
    create_admin.add_argument("--username", default="admin")
    create_admin.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    reset = admin.add_parser("reset-password", help="set a user's password from the console and let every "
                                                   "address try logins again (the way back in for a locked-out admin)")
    reset.add_argument("--username", default="admin")
    reset.add_argument("--password-stdin", action="store_true", help="read the password from stdin")

    token = sub.add_parser("token", help="API bearer tokens").add_subparsers(dest="action", required=True)
    create_token = token.add_parser("create", help="create a token; the last line printed is the token")
    create_token.add_argument("--role", required=True, choices=("admin", "supervisor", "agent"))
    create_token.add_argument("--label", default="")

    simulate = sub.add_parser("simulate", help="simulate a queue through the ACD (Poisson arrivals)")
    simulate.add_argument("--arrival-rate", type=float, required=True, metavar="CALLS_PER_HOUR")
    simulate.add_argument("--aht", type=float, required=True, metavar="SECONDS", help="average handle time")
    simulate.add_argument("--agents", type=int, required=True)
    simulate.add_argument("--sl-target", type=float, default=20.0, metavar="SECONDS",
                          help="service level counts calls answered within this wait")
    simulate.add_argument("--calls", type=int, default=10_000)
    simulate.add_argument("--seed", type=int, default=1)
    simulate.add_argument("--patience", type=float, metavar="SECONDS", help="mean caller patience (exponential)")
    simulate.add_argument("--strategy", default="longest-idle", help="distribution strategy, e.g. ring-all")
    simulate.add_argument("--handle", choices=("exponential", "lognormal"), default="exponential")
    simulate.add_argument("--wrapup", type=float, default=0.0, metavar="SECONDS")
    simulate.add_argument("--json", action="store_true")

    staffing = sub.add_parser("staffing", help="agents needed for a service level (Erlang C, or A with patience)")
    staffing.add_argument("--arrival-rate", type=float, required=True, metavar="CALLS_PER_HOUR")
    staffing.add_argument("--aht", type=float, required=True, metavar="SECONDS")
    staffing.add_argument("--sl-target", type=float, default=20.0, metavar="SECONDS")
    staffing.add_argument("--service-level", type=float, default=0.8, help="share answered within the target")
    staffing.add_argument("--patience", type=float, metavar="SECONDS", help="mean caller patience: Erlang A")
    staffing.add_argument("--max-occupancy", type=float, default=1.0)
    staffing.add_argument("--shrinkage", type=float, default=0.0, help="share of paid time not on the phones")
    staffing.add_argument("--json", action="store_true")

    from firmware.cards import sim_cli
    sim_cli.add_arguments(sub.add_parser("card-sim", help="simulate a trunk card behind a pty (no hardware)"))

    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["update"]:  # its own parser (firmware/update/cli.py), options and -h included
        return cmd_update(argparse.Namespace(update_args=argv[1:]))
    args = parser.parse_args(argv)
    handler = {
        "run": cmd_run, "engine": cmd_engine, "edge": cmd_edge, "web": cmd_web, "notifier": cmd_notifier,
        "board": cmd_board, "redirect": cmd_redirect, "migrate": cmd_migrate,
        "prompts": cmd_prompts, "admin": cmd_admin, "console": cmd_console,
        "installer-password": cmd_installer_password, "token": cmd_token_create,
        "simulate": cmd_simulate, "staffing": cmd_staffing,
        "backup": backup_commands.cmd_backup, "restore": backup_commands.cmd_restore,
        "card-sim": sim_cli.run, "update": cmd_update,
    }[args.command]
    return handler(args) or 0


def _store():
    from firmware.store import open_store

    paths.ensure_layout()
    return open_store()


def cmd_migrate(args) -> int:
    from firmware.store.db import schema_version

    print(f"schema version {schema_version(_store())}")
    return 0


def cmd_prompts(args) -> int:
    from firmware.engine import prompts

    config = BoxConfig.from_env()
    written = prompts.generate(config.prompts_dir)
    print(f"prompts in {config.prompts_dir}: {written} written")
    return 0


def cmd_admin(args) -> int:
    return {"create": cmd_admin_create, "reset-password": cmd_admin_reset_password}[args.action](args)


def _read_new_password(args, prompt: str) -> str | None:
    """The password from stdin or typed twice; None (with the reason printed) if unusable."""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(prompt)
        if password != getpass.getpass("again: "):
            print("the passwords differ", file=sys.stderr)
            return None
    from firmware.console.accounts import password_problem

    problem = password_problem(password)
    if problem:
        print(problem, file=sys.stderr)
        return None
    return password


def cmd_admin_create(args) -> int:
    from werkzeug.security import generate_password_hash

    from firmware.store import queries

    password = _read_new_password(args, "password for the new admin: ")
    if password is None:
        return 1
    conn = _store()
    if queries.create_first_admin(conn, args.username, generate_password_hash(password)) is None:
        print("an admin already exists; add users in the web UI", file=sys.stderr)
        return 1
    queries.audit(conn, "console", "admin.create", args.username)
    print(f"admin {args.username} created")
    return 0


def cmd_admin_reset_password(args) -> int:
    """The console's way back in (firmware/console/accounts.py: the console's menu does the same)."""
    from firmware.console.accounts import admin_names, reset_user_password
    from firmware.store import queries

    conn = _store()
    if queries.get_user_by_name(conn, args.username) is None:
        print(f"no user {args.username!r}; admins: {', '.join(admin_names(conn)) or 'none (use callbox admin create)'}",
              file=sys.stderr)
        return 1
    password = _read_new_password(args, f"new password for {args.username}: ")
    if password is None:
        return 1
    user = reset_user_password(conn, args.username, password)
    print(f"password of {args.username} ({user['role']}) set; logins from every address allowed again")
    return 0


def cmd_console(args) -> int:
    from firmware.console.menu import Console

    return Console().run()


def cmd_update(args) -> int:
    from firmware.update.cli import main as update_main

    return update_main(args.update_args)


def cmd_installer_password(args) -> int:
    from firmware.console.accounts import set_installer_password

    password = _read_new_password(args, "new installer password: ")
    if password is None:
        return 1
    set_installer_password(_store(), password, actor="cli")
    print("installer password set")
    return 0


def cmd_token_create(args) -> int:
    from firmware.store import queries

    conn = _store()
    token = queries.create_token(conn, args.role, args.label)
    queries.audit(conn, "console", "token.create", f"role={args.role} label={args.label}")
    print(f"API token for role {args.role} (shown once):")
    print(token)
    return 0


def cmd_simulate(args) -> int:

    from firmware.acd import Strategy
    from firmware.acd.simulate import Scenario, simulate

    result = simulate(Scenario(arrival_rate=args.arrival_rate, aht=args.aht, agents=args.agents, calls=args.calls,
                               sl_target=args.sl_target, seed=args.seed, patience=args.patience,
                               strategy=Strategy(args.strategy), handle=args.handle, wrapup=args.wrapup))
    figures = result.as_dict()
    _print_figures(figures, args.json)
    return 0


def cmd_staffing(args) -> int:
    import math

    from firmware.stats.erlang import agents_needed, erlang_a, erlang_c_figures, offered_load

    agents = agents_needed(args.arrival_rate, args.aht, args.sl_target, args.service_level,
                           patience=args.patience, max_occupancy=args.max_occupancy)
    load = offered_load(args.arrival_rate, args.aht)
    if args.patience:
        f = erlang_a(load, agents, args.aht, args.patience, args.sl_target)
        extra = {"abandon_rate": f.p_abandon, "model": "erlang-a"}
    else:
        f = erlang_c_figures(load, agents, args.aht, args.sl_target)
        extra = {"model": "erlang-c"}
    figures = {"agents": agents, "scheduled_agents": math.ceil(agents / (1.0 - args.shrinkage)),
               "offered_load_erlang": load, "service_level": f.service_level, "asa_seconds": f.asa,
               "p_wait": f.p_wait, "occupancy": f.occupancy, **extra}
    _print_figures(figures, args.json)
    return 0


def _print_figures(figures: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(figures, indent=2))
    else:
        for name, value in figures.items():
            if isinstance(value, dict):         # the steady-state estimates, each with its standard error
                for kpi, estimate in value.items():
                    print(f"{name}.{kpi:14} {estimate['value']:.4f} ± {estimate['standard_error']:.4f}")
            else:
                print(f"{name:20} {value:.4f}" if isinstance(value, float) else f"{name:20} {value}")


PR_SET_PDEATHSIG = 1      # linux/prctl.h


def die_with_parent() -> None:
    """Have the kernel send this process SIGTERM when its parent dies (kept across exec).

    The box's programs run under supervisord, each in a process group of its own; a supervisord
    killed before it stopped them (kill -9, OOM) left kamailio holding the SIP port. SIGTERM is a
    clean stop for each: kamailio and gunicorn stop their workers, the engine hangs up its calls."""
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        print(f"prctl(PR_SET_PDEATHSIG) failed: {os.strerror(ctypes.get_errno())}", file=sys.stderr)
        return
    if os.getppid() != parent:          # the parent died before the request was in place
        sys.exit(1)


def cmd_engine(args) -> int:
    from firmware.engine.engine import run_engine

    die_with_parent()
    return run_engine(BoxConfig.from_env())


def cmd_edge(args) -> int:
    from firmware.edge.kamailio import exec_kamailio

    die_with_parent()
    return exec_kamailio(BoxConfig.from_env())


def cmd_web(args) -> int:
    die_with_parent()
    config = BoxConfig.from_env()
    paths.ensure_layout()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    # gevent: an open live stream (SSE) is a greenlet, not one of a few threads (docs/design.md, "Live streams")
    argv = [str(gunicorn), "--worker-class", "gevent", "--workers", "2", "--worker-connections", "1000",
            "--bind", f"{config.bind_address}:{config.web_port}", "--access-logfile", "-",
            "--graceful-timeout", "3", "webui:create_app()"]
    cert, key = os.environ.get("CALLBOX_TLS_CERT"), os.environ.get("CALLBOX_TLS_KEY")
    if cert or key:
        # the image: HTTPS with the box's own certificate (made at first boot on /data)
        if not (cert and key and Path(cert).is_file() and Path(key).is_file()):
            print(f"callbox web: CALLBOX_TLS_CERT {cert!r} and CALLBOX_TLS_KEY {key!r} must both be files",
                  file=sys.stderr)
            return 1
        argv[-1:-1] = ["--certfile", cert, "--keyfile", key]
    os.execv(argv[0], argv)


def cmd_redirect(args) -> int:
    from firmware.redirect import serve

    die_with_parent()
    config = BoxConfig.from_env()
    serve(config.bind_address, int(os.environ.get("CALLBOX_HTTP_PORT") or 80), config.web_port)
    return 0


def cmd_notifier(args) -> int:
    from firmware.notify.notifier import run_notifier

    die_with_parent()
    return run_notifier()


def cmd_board(args) -> int:
    from firmware.board.listener import main as board_main

    die_with_parent()
    return board_main()


def cmd_run(args) -> int:
    """Prepares the data directory and hands over to supervisord in the foreground (Ctrl-C stops all)."""
    from firmware.config import resolve_auto_bind
    from firmware.edge.ports import taken_ports

    resolve_auto_bind()
    from firmware.timezone import export_time_zone

    export_time_zone()          # the wizard's time zone, for every program of the box
    from firmware.backup.restore import finish_interrupted

    finish_interrupted()        # a restore cut by a power cut is finished before any service starts
    config = BoxConfig.from_env()
    taken = taken_ports(config)
    if taken:
        for problem in taken:
            print(f"callbox: {problem}", file=sys.stderr)
        print("callbox: not started; stop what holds the ports (an earlier box?) or choose others "
              "(CALLBOX_SIP_PORT, CALLBOX_ENGINE_PORT, CALLBOX_WEB_PORT)", file=sys.stderr)
        return 1
    _store()
    conf = render_supervisord_conf(config)
    supervisord = shutil.which("supervisord")
    if supervisord is None:
        print("supervisord is not installed (make packages)", file=sys.stderr)
        return 1
    print(f"Callbox: SIP on {config.bind_address}:{config.sip_port}, web on http://{config.bind_address}:{config.web_port}/")
    os.execv(supervisord, [supervisord, "--nodaemon", "--configuration", str(conf)])


def render_supervisord_conf(config: BoxConfig) -> Path:
    """supervisord's own settings for this data directory; the programs come from rootfs/ as they are."""
    run = paths.run_dir()
    run.mkdir(parents=True, exist_ok=True)
    from firmware.board.pins import BOARD_CONF

    conf_d = config.rootfs / "etc" / "supervisor" / "conf.d"
    programs = str(conf_d / "callbox.conf")
    if BOARD_CONF.exists():  # the image: the board's listener drives the bypass relay and the LED
        programs += f" {conf_d / 'board.conf'}"
    if os.environ.get("CALLBOX_TLS_CERT"):  # the web on HTTPS: plain HTTP redirects to it
        programs += f" {conf_d / 'https-redirect.conf'}"
    os.environ["CALLBOX_BIN"] = str(Path(sys.executable).parent)
    os.environ["CALLBOX_DATA"] = str(paths.data_dir())
    text = f"""; rendered by `callbox run`; edit rootfs/etc/supervisor/conf.d/callbox.conf instead
[supervisord]
nodaemon=true
; every call leg holds RTP and RTCP sockets: 1024 descriptors would end near 400 legs
minfds=16384
logfile={paths.log_dir() / 'supervisord.log'}
pidfile={run / 'supervisord.pid'}
childlogdir={paths.log_dir()}

[unix_http_server]
file={run / 'supervisor.sock'}
chmod=0700

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{run / 'supervisor.sock'}

[include]
files={programs}
"""
    target = run / "supervisord.conf"
    target.write_text(text)
    return target


if __name__ == "__main__":
    sys.exit(main())
