"""Which number a call from a trunk is for: the request URI's user, except on a registering trunk.

A provider the box registers with sends its calls to the Contact the box registered,
sip:<user name>@<the edge>, as RFC 3261 10.2.1 has it: the request URI then names the account, not
the number dialled. The number is in To, the call's logical recipient (RFC 3261 8.1.1.2), where
providers put it (some also copy it into a header of their own: too many kinds to trust any).
A peer, and a registering provider that addresses a number itself, put the number in the URI.
"""

from __future__ import annotations


def called_number(trunk: dict, request_user: str, to_user: str) -> tuple[str, str | None]:
    """(the number called, why it is not the request URI's user, or None when it is)."""
    username = trunk.get("username") or ""
    if (trunk.get("type") == "register" and username and request_user == username
            and to_user and to_user != request_user):
        return to_user, f"the request URI is the registration's user {username}: the number is To's"
    return request_user, None
