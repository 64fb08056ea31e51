"""Passwords set from the console: an admin's (the way back in) and the installer's (the menu's key).

`callbox admin reset-password` and the console's menu item share `reset_user_password`. The
installer's password is stored hashed (werkzeug, as the users' passwords) in the settings table;
there is none by default. Its failed attempts are throttled through the same table the web's logins
use (`login_failures`), under the address "console", so that waiting out a delay by restarting the
console does not help.
"""

from __future__ import annotations

import time

from werkzeug.security import check_password_hash, generate_password_hash

from firmware.store import queries

MIN_PASSWORD = 8
INSTALLER_SETTING = "installer_password_hash"
THROTTLE_ADDRESS = "console"
# Three free tries, then 2 s, doubled at each failure up to 5 minutes; forgotten after an hour.
THROTTLE = {"free": 3, "first_delay": 2.0, "max_delay": 300.0, "forget_after": 3600.0}


def password_problem(password: str) -> str | None:
    """Why a new password cannot be used, or None."""
    if len(password) < MIN_PASSWORD:
        return f"the password needs at least {MIN_PASSWORD} characters"
    if any(ord(c) < 32 or ord(c) == 127 for c in password):
        return "the password must not contain control characters"
    return None


def admin_names(conn) -> list[str]:
    return [u["username"] for u in queries.list_users(conn) if u["role"] == "admin"]


def reset_user_password(conn, username: str, password: str, actor: str = "console") -> dict:
    """Sets the user's password, makes the user active again and forgets every address's failed
    logins, so the user gets in at once. Whoever has the console owns the box: no other proof.
    Raises LookupError for an unknown user and ValueError for an unusable password."""
    user = queries.get_user_by_name(conn, username)
    if user is None:
        raise LookupError(f"no user {username!r}; admins: {', '.join(admin_names(conn)) or 'none'}")
    problem = password_problem(password)
    if problem:
        raise ValueError(problem)
    with queries.transaction(conn):
        queries.set_password(conn, user["id"], generate_password_hash(password))
        queries.reactivate_user(conn, user["id"])
        cleared = queries.clear_login_failures(conn)
        queries.audit(conn, actor, "user.reset-password", f"username={username} throttles_cleared={cleared}")
    return user


def installer_password_set(conn) -> bool:
    return bool(queries.get_setting(conn, INSTALLER_SETTING))


def set_installer_password(conn, password: str, actor: str = "console") -> None:
    problem = password_problem(password)
    if problem:
        raise ValueError(problem)
    with queries.transaction(conn):
        queries.set_setting(conn, INSTALLER_SETTING, generate_password_hash(password))
        queries.audit(conn, actor, "installer.set-password")


class Throttled(Exception):
    def __init__(self, wait: float):
        super().__init__(f"too many wrong passwords: try again in {wait:.0f} s")
        self.wait = wait


def check_installer_password(conn, password: str, now: float | None = None) -> bool:
    """True if it is the installer's password. Raises Throttled while the console must wait (no
    password is checked then) and LookupError when none is set."""
    now = time.time() if now is None else now
    stored = queries.get_setting(conn, INSTALLER_SETTING)
    if not stored:
        raise LookupError("no installer password is set")
    wait = queries.login_wait(conn, THROTTLE_ADDRESS, now)
    if wait > 0:
        raise Throttled(wait)
    if check_password_hash(stored, password):
        with queries.transaction(conn):
            conn.execute("DELETE FROM login_failures WHERE address = ?", (THROTTLE_ADDRESS,))
        return True
    queries.record_login_failure(conn, THROTTLE_ADDRESS, now, **THROTTLE)
    with queries.transaction(conn):
        queries.audit(conn, "console", "installer.wrong-password")
    return False
