"""The installer's numbered menu on the serial console and `callbox console`.

The serial port is physical access: as on pfSense, the status, the admin password reset and the
factory reset are open to whoever holds it; every other item asks once per session for the
installer's password (none by default: until one is set those items say how to set it). Every
answer is checked, every failure is a message and the menu again: nothing typed ends the console
but its own "leave" item (or the line going away).
"""

from __future__ import annotations

import ipaddress
import logging
import re
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

from firmware import paths
from firmware.cards import line_test as card_line_test
from firmware.console import accounts, linetest, status
from firmware.console.system import (NetworkSetting, System, factory_reset, network_file, run_foreground,
                                     system_from_env)
from firmware.console.terminal import BadInput, Cancelled, LineGone, Terminal
from firmware.store import queries

log = logging.getLogger(__name__)

CONFIRM_WORD = "RESET"
PAGE_LINES = 20
LOG_TAIL_LINES = 400
ADDRESS_CACHE_SECONDS = 10.0
IDLE_LOCK_SECONDS = 15 * 60     # a serial console left unlocked locks itself again (pfSense logs out too)
HOSTNAME_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
INTERFACE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,15}$")


@dataclass(frozen=True)
class Item:
    title: str
    action: Callable[[], None]
    locked: bool


def valid_host(text: str) -> str:
    """An IP address or an RFC 1123 host name; BadInput otherwise (it never reaches a shell)."""
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    name = text[:-1] if text.endswith(".") else text
    if not name or len(name) > 253 or not all(HOSTNAME_LABEL.match(label) for label in name.split(".")):
        raise BadInput(f"{text[:40]!r} is neither an IP address nor a host name (letters, digits, '-', '.')")
    return name


class Console:
    def __init__(self, terminal: Terminal | None = None, system: System | None = None):
        self.term = terminal or Terminal()
        self.system = system or system_from_env(self.term.say)
        self.conn = None
        self.unlocked = False
        self._addresses: tuple[float, list] | None = None
        self.items = [
            Item("Status", self.show_status, False),
            Item("Reset the admin password", self.reset_admin_password, False),
            Item("Factory reset", self.factory_reset, False),
            Item("Set the installer password", self.set_installer_password, True),
            Item("Network", self.network, True),
            Item("Ping a host", self.ping, True),
            Item("Line test (trunks)", self.line_test, True),
            Item("Logs", self.logs, True),
            Item("Restart the services", self.restart_services, True),
            Item("Reboot", self.reboot, True),
            Item("Power off", self.power_off, True),
            Item("Shell", self.shell, True),
            Item("Restore a backup", self.restore_backup, True),
        ]

    # --- the loop -----------------------------------------------------------------------------

    def run(self) -> int:
        for sig in (signal.SIGTSTP, signal.SIGQUIT):     # Ctrl-Z and Ctrl-\ must not stop the console
            signal.signal(sig, signal.SIG_IGN)
        # Ctrl-C cancels a prompt even when the console was started with SIGINT ignored (a parent's
        # SIG_IGN is inherited, and Python then installs no handler of its own: the test suite's
        # workers passed one on, and ^C at the menu went unanswered).
        signal.signal(signal.SIGINT, signal.default_int_handler)
        self.open_store()
        self.term.say(f"Callbox {status.version()} installer console ({self.system.name})")
        show_menu = True
        while True:
            if show_menu:
                self.print_menu()
            show_menu = True
            try:
                answer = self.term.ask(f"Enter an option (0-{len(self.items)}): ")
                if answer == "":
                    continue
                if answer == "0":
                    self.term.say("bye")
                    return 0
                self.dispatch(self.choice(answer, len(self.items)))
            except BadInput as exc:
                self.term.say(f"! {exc}")
            except Cancelled as exc:
                self.term.say(f"({exc}; type 0 to leave the console)")
            except KeyboardInterrupt:
                self.term.say("\n(cancelled)")
            except LineGone:
                return 0
            except Exception as exc:            # a broken item must not end the installer's session
                log.exception("console item failed")
                self.term.say(f"! that failed: {type(exc).__name__}: {exc}")

    def print_menu(self) -> None:
        say = self.term.say
        say("")
        found = self.addresses()
        say("Callbox   address: " + (", ".join(f"{a} ({i})" for i, a in found[:3]) if found else "none"))
        for number, item in enumerate(self.items, 1):
            mark = " *" if item.locked and not self.unlocked else ""
            say(f"{number:3}) {item.title}{mark}")
        say("  0) Leave the console")
        if not self.unlocked:
            say("  * asks for the installer password" + ("" if self.installer_password_set()
                                                          else " (none set yet: item 4 or `callbox installer-password`)"))

    def addresses(self) -> list[tuple[str, str]]:
        """The box's addresses for the menu's head, read again at most every few seconds (a
        menu shown after each answer must not run `ip` each time at 115200 baud)."""
        now = time.monotonic()
        if self._addresses is None or now - self._addresses[0] > ADDRESS_CACHE_SECONDS:
            self._addresses = (now, status.addresses())
        return self._addresses[1]

    @staticmethod
    def choice(answer: str, last: int) -> int:
        if not answer.isascii() or not answer.isdigit():
            raise BadInput(f"type a number from 0 to {last}, not {answer[:20]!r}")
        number = int(answer)
        if not 0 <= number <= last:
            raise BadInput(f"there is no option {number}; type a number from 0 to {last}")
        return number

    def dispatch(self, number: int) -> None:
        item = self.items[number - 1]
        self.term.say(f"--- {item.title}")
        if self.unlocked and self.term.idle_before_answer > IDLE_LOCK_SECONDS:
            self.unlocked = False
            self.term.say(f"(locked again after {self.term.idle_before_answer / 60:.0f} min without input)")
        if item.locked and not self.unlocked and not self.unlock(item):
            return
        item.action()

    def open_store(self) -> None:
        from firmware.store import open_store

        if self.conn is not None:
            self.conn.close()
        paths.ensure_layout()
        self.conn = open_store()

    def installer_password_set(self) -> bool:
        return accounts.installer_password_set(self.conn)

    def unlock(self, item: Item) -> bool:
        if not self.installer_password_set():
            if item.action == self.set_installer_password:
                return True         # the first installer password: the serial port is physical access
            self.term.say("This item needs the installer password, and none is set yet.")
            self.term.say("Set it with item 4 here, `callbox installer-password` or (later) the web UI.")
            return False
        password = self.term.ask("installer password: ", secret=True)
        try:
            if accounts.check_installer_password(self.conn, password):
                self.unlocked = True
                return True
        except accounts.Throttled as exc:
            self.term.say(f"! {exc}")
            return False
        self.term.say("! wrong installer password")
        return False

    # --- helpers ------------------------------------------------------------------------------

    def yes(self, question: str) -> bool:
        answer = self.term.ask(f"{question} (yes/no): ").lower()
        if answer in ("yes", "y"):
            return True
        if answer in ("no", "n", ""):
            self.term.say("nothing done")
            return False
        raise BadInput(f"answer yes or no, not {answer[:20]!r}; nothing done")

    def new_password(self, whose: str) -> str:
        password = self.term.ask(f"new password for {whose}: ", secret=True)
        problem = accounts.password_problem(password)
        if problem:
            raise BadInput(problem)
        if self.term.ask("the same again: ", secret=True) != password:
            raise BadInput("the passwords differ; nothing changed")
        return password

    def page(self, lines: list[str]) -> None:
        for start in range(0, len(lines), PAGE_LINES):
            for line in lines[start:start + PAGE_LINES]:
                self.term.say(line)
            if start + PAGE_LINES < len(lines):
                answer = self.term.ask(f"-- {start + PAGE_LINES}/{len(lines)} lines: Enter for more, q to stop: ")
                if answer.lower() == "q":
                    return
                if answer:
                    raise BadInput("press Enter for more or type q; stopped")

    # --- the items ----------------------------------------------------------------------------

    def show_status(self) -> None:
        for line in status.status_lines(self.conn):
            self.term.say(line)

    def reset_admin_password(self) -> None:
        admins = accounts.admin_names(self.conn)
        if not admins:
            self.term.say("There is no admin yet: the first visit to the web UI creates one "
                          "(or `callbox admin create`).")
            return
        self.term.say("admins: " + ", ".join(admins))
        default = admins[0] if len(admins) == 1 else ""
        username = self.term.ask(f"user name{f' [{default}]' if default else ''}: ") or default
        if not username:
            raise BadInput("type one of the user names above")
        if queries.get_user_by_name(self.conn, username) is None:
            raise BadInput(f"there is no user {username[:40]!r}")
        password = self.new_password(username)
        user = accounts.reset_user_password(self.conn, username, password)
        self.term.say(f"password of {username} ({user['role']}) set; logins from every address allowed again")

    def factory_reset(self) -> None:
        data = paths.data_dir()
        self.term.say(f"This wipes the box in {data}: the database (users, agents, queues, trunks,")
        self.term.say("calls, settings, the installer password) and every recording. It cannot be undone.")
        answer = self.term.ask(f"type {CONFIRM_WORD} to wipe the box, anything else keeps it: ")
        if answer != CONFIRM_WORD:
            self.term.say(f"not reset: you typed {answer[:20]!r}, not {CONFIRM_WORD}")
            return
        self.conn.close()
        self.conn = None
        removed = factory_reset(data)
        self.open_store()
        self.unlocked = False
        with queries.transaction(self.conn):
            queries.audit(self.conn, "console", "factory-reset")
        self.term.say(f"factory reset done ({len(removed)} removed); the box is as new")
        if (paths.run_dir() / "supervisor.sock").exists() or self.system.name == "recorder":
            self.term.say("restarting the services on the fresh database")
            self.system.restart_services()

    def set_installer_password(self) -> None:
        password = self.new_password("the installer")
        accounts.set_installer_password(self.conn, password)
        self.unlocked = True
        self.term.say("installer password set")

    def network(self) -> None:
        found = status.addresses()
        for interface, address in found:
            self.term.say(f"  {interface}: {address}")
        if not found:
            self.term.say("  no global address")
        routes = status.default_routes()
        self.term.say("  default route: " + (", ".join(routes) if routes else "none"))
        self.term.say("  DNS: " + (", ".join(status.dns_servers()) or "none"))
        kept = network_file()
        try:
            setting = [line for line in kept.read_text(errors="replace").splitlines() if "=" in line]
            self.term.say(f"  set on the console ({kept}): " + "; ".join(status.printable(line.encode())
                                                                          for line in setting))
        except OSError:
            self.term.say("  set on the console: nothing (the image's default: DHCP on every wired interface)")
        answer = self.term.ask("1) use DHCP  2) set a static address  Enter) back: ")
        if answer == "":
            return
        mode = self.choice(answer, 2)
        if mode == 0:
            return
        interfaces = sorted({i for i, _ in found}) or ["eth0"]
        default = interfaces[0]
        interface = self.term.ask(f"interface [{default}]: ") or default
        if not INTERFACE_NAME.match(interface):
            raise BadInput("an interface name is 1-15 letters, digits, '_', '.' or '-'")
        if mode == 1:
            setting = NetworkSetting(interface)
        else:
            setting = self.static_setting(interface)
        self.term.say("new setting:")
        for line in setting.networkd_file().splitlines():
            self.term.say("    " + line)
        if self.yes("apply it"):
            self.system.write_network(setting)

    def static_setting(self, interface: str) -> NetworkSetting:
        text = self.term.ask("address with prefix (e.g. 192.168.1.20/24): ")
        try:
            if "/" not in text:
                raise ValueError("no prefix")
            address = ipaddress.ip_interface(text)
        except ValueError:
            raise BadInput(f"{text[:40]!r} is not an address with its prefix, e.g. 192.168.1.20/24") from None
        text = self.term.ask("gateway (Enter for none): ")
        gateway = None
        if text:
            try:
                gateway = ipaddress.ip_address(text)
            except ValueError:
                raise BadInput(f"{text[:40]!r} is not an IP address") from None
            if gateway.version != address.version or gateway not in address.network:
                raise BadInput(f"the gateway {gateway} is not in {address.network}")
        text = self.term.ask("DNS servers, separated by spaces (Enter for none): ")
        dns = []
        for word in text.replace(",", " ").split():
            try:
                dns.append(ipaddress.ip_address(word))
            except ValueError:
                raise BadInput(f"{word[:40]!r} is not an IP address") from None
        if len(dns) > 3:
            raise BadInput("at most 3 DNS servers")
        return NetworkSetting(interface, address, gateway, tuple(dns))

    def ping(self) -> None:
        host = valid_host(self.term.ask("host name or IP address: "))
        run_foreground(["ping", "-c", "4", "-i", "0.5", "-W", "2", host])

    def line_test(self) -> None:
        trunks = queries.list_trunks(self.conn)
        engine, engine_state = status.engine_status()
        states = status.trunk_states(engine, engine_state)
        if not trunks:
            self.term.say("no trunks configured (add them in the web UI)")
        for trunk in trunks:
            if trunk["type"] == "fxo":         # an analog line's card test: off hook, dial tone? (issue 11)
                self.term.say(f"{trunk['name']} (fxo): off hook on {trunk['device']}, listening for dial tone ...")
                self.term.say("  " + (card_line_test.run(trunk["id"]) if engine is not None else engine_state))
                continue
            self.term.say(f"{trunk['name']} ({trunk['type']}): sending SIP OPTIONS to {trunk['address']} ...")
            self.term.say("  " + linetest.send_options(trunk["address"]).line())
            self.term.say(f"  engine: {states.get(trunk['id'], engine_state if engine is None else 'not known yet')}")

    def logs(self) -> None:
        logs = sorted(p for p in paths.log_dir().glob("*.log") if p.is_file())
        if not logs:
            self.term.say(f"no logs in {paths.log_dir()}")
            return
        for number, path in enumerate(logs, 1):
            self.term.say(f"{number:3}) {path.name} ({path.stat().st_size // 1024} kB)")
        chosen = self.choice(self.term.ask(f"which log (1-{len(logs)}, 0 back): "), len(logs))
        if chosen == 0:
            return
        with logs[chosen - 1].open("rb") as f:
            size = f.seek(0, 2)
            f.seek(max(0, size - 256 * 1024))
            tail = f.read().splitlines()[-LOG_TAIL_LINES:]
        self.page([status.printable(line) for line in tail] or ["(empty)"])

    def restart_services(self) -> None:
        if self.yes("restart kamailio, the engine, the web and the notifier (calls in progress end)"):
            self.system.restart_services()

    def reboot(self) -> None:
        if self.yes("reboot the box now (calls in progress end)"):
            self.system.reboot()

    def power_off(self) -> None:
        if self.yes("power the box off now (it stays off until power is cycled)"):
            self.system.power_off()

    def shell(self) -> None:
        self.system.shell()

    def restore_backup(self) -> None:
        from firmware.backup.console_item import restore_dialog

        restore_dialog(self)
