"""The wizard's pages: one per step, admin only, each form with its CSRF token. The start page (`/`)
leads an admin here while the wizard is open; `/wizard` resumes at the first step not done."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest, Conflict, NotFound

from firmware.board.pins import BOARD_CONF
from firmware.console.linetest import send_options
from firmware.store import queries
from webui import engine
from webui.access import actor, current_identity, public, requires
from webui.db import get_db
from webui.i18n import word
from webui.i18n.languages import LANGUAGES as PAGE_LANGUAGES
from webui.queues.form import STRATEGIES
from webui.settings import service as settings
from webui.trunks.service import DTMF_MODES, TRUNK_TYPES
from webui.wizard import network, service
from webui.wizard.schema import STEPS, time_zones

bp = Blueprint("wizard", __name__, template_folder="templates")

FORM_STEPS = {"language", "timezone", "network", "trunk", "agents", "queue", "route"}


@bp.record_once
def _network_changes(state) -> None:
    """The app's pending network change: a change left pending by a web that restarted (the box's
    address changed) is rolled back when due, and this worker's timer watches it."""
    app = state.app
    backend = app.config.get("NETWORK_BACKEND") or network.backend_for(Path(app.config["DATA_DIR"]),
                                                                        appliance=Path(BOARD_CONF).exists())
    changes = network.NetworkChanges(Path(app.config["DATA_DIR"]) / "config" / "network", backend,
                                     app.config.get("NETWORK_CLOCK") or time.time)
    app.extensions["wizard_network"] = changes
    changes.settle()
    changes.arm()


def _changes() -> network.NetworkChanges:
    return current_app.extensions["wizard_network"]


@bp.before_app_request
def lead_the_admin_here():
    """While the wizard is open, the start page of an admin is the wizard."""
    if request.endpoint != "index" or request.method != "GET":
        return None
    identity = current_identity()
    if identity is not None and identity.at_least("admin") and service.progress(get_db()).status == "open":
        return redirect(url_for("wizard.resume"))
    return None


def _page(step: str, *, form: Any = None, error: str | None = None, status: int = 200, **extra: Any):
    conn = get_db()
    state = service.progress(conn)
    return render_template(f"wizard/{step}.html", step=step, steps=STEPS, state=state, form=form or {},
                           error=error, rows=service.wizard_rows(conn, state), **extra), status


@bp.get("/wizard")
@requires("admin")
def resume():
    _changes().settle()
    state = service.progress(get_db())
    if state.status != "open":
        return render_template("wizard/closed.html", state=state, steps=STEPS)
    return redirect(url_for("wizard.step", step=state.next_step()))


def step(step: str):
    if step == "network" and _changes().pending() is not None:
        return _network_pending()
    return _page(step, **_step_context(step))


# One rule per step (no <step> placeholder): every page is a plain URL, as the other pages.
_step_page = requires("admin")(step)
for _name in STEPS:
    bp.add_url_rule(f"/wizard/{_name}", "step", _step_page, methods=("GET",), defaults={"step": _name})


def _step_context(step: str) -> dict[str, Any]:
    conn = get_db()
    if step == "language":
        identity = current_identity()
        user = queries.get_user(conn, identity.user_id) if identity and identity.user_id else None
        return {"page_languages": PAGE_LANGUAGES, "prompt_languages": settings.LANGUAGES,
                "defaults": {"language": (user or {}).get("language") or "en",
                             "prompt_language": settings.get_settings(conn)[settings.PROMPT_LANGUAGE_KEY]}}
    if step == "timezone":
        return {"zones": time_zones(),
                "current": queries.get_setting(conn, service.TIME_ZONE_KEY) or service.system_time_zone()}
    if step == "network":
        return {"interfaces": _changes().backend.interfaces(), "current": _changes().backend.current(),
                "rollback_seconds": int(network.ROLLBACK_SECONDS)}
    if step == "trunk":
        # SIP trunks here; an analog line (fxo) needs its device and number: the trunks page
        return {"types": tuple(t for t in TRUNK_TYPES if t != "fxo"), "dtmf_modes": DTMF_MODES,
                "checks": {t["id"]: trunk_check(t) for t in service.wizard_rows(conn, service.progress(conn))["trunks"]}}
    if step == "agents":
        return {"agent_rows": service.AGENT_ROWS, "created": []}
    if step == "queue":
        return {"strategies": STRATEGIES, "agents": queries.list_agents(conn)}
    if step == "route":
        return {"queues": queries.list_queues(conn)}
    if step == "test-call":
        return live_calls()
    return {}


def _next(step: str):
    later = STEPS[STEPS.index(step) + 1:] if step in STEPS else ()
    return redirect(url_for("wizard.step", step=later[0]) if later else url_for("wizard.resume"))


def _refused(step: str, exc: BadRequest | Conflict | NotFound, **extra: Any):
    return _page(step, form=request.form, error=word(exc.description), status=exc.code or 400,
                 **{**_step_context(step), **extra})


@bp.post("/wizard/<step>")
@requires("admin")
def save(step: str):
    if step not in FORM_STEPS:
        raise NotFound(f"no wizard form {step}")
    conn, who = get_db(), actor()
    try:
        if step == "language":
            identity = current_identity()
            assert identity is not None and identity.user_id is not None
            service.save_language(conn, who, identity.user_id, request.form)
        elif step == "timezone":
            service.save_time_zone(conn, who, Path(current_app.config["DATA_DIR"]), request.form)
        elif step == "network":
            return _apply_network()
        elif step == "trunk":
            trunk = service.create_trunk(conn, who, request.form)
            flash(_("Trunk %(trunk)s created.", trunk=trunk["name"]))
            return redirect(url_for("wizard.step", step="trunk"))
        elif step == "agents":
            return _create_agents()
        elif step == "queue":
            service.create_queue(conn, who, request.form)
        elif step == "route":
            service.create_route(conn, who, request.form)
    except (BadRequest, Conflict, NotFound) as exc:
        return _refused(step, exc)
    return _next(step)


@bp.post("/wizard/<step>/next")
@requires("admin")
def skip_step(step: str):
    """Goes on without (or with what is already there): every step may be done later on its own page."""
    service.step_done(get_db(), actor(), step)
    return _next(step)


@bp.post("/wizard/finish")
@requires("admin")
def finish():
    service.end(get_db(), actor(), "finished")
    flash(_("The box is set up."))
    return redirect(url_for("live.board"))


@bp.post("/wizard/skip")
@requires("admin")
def skip():
    service.end(get_db(), actor(), "skipped")
    flash(_("Setup wizard skipped; it stays at %(path)s.", path="/wizard"))
    return redirect(url_for("live.board"))


@bp.post("/wizard/reopen")
@requires("admin")
def reopen():
    service.reopen(get_db(), actor())
    return redirect(url_for("wizard.resume"))


# --- agents: the printable sheet --------------------------------------------------------------------

def _box_sip_address() -> str:
    """Where the phones register: the box's SIP address (`callbox run` resolved it), else the host
    this browser reached the box at."""
    host = os.environ.get("CALLBOX_BIND", "127.0.0.1")
    if host in ("", "0.0.0.0", "::", "auto"):
        host = urlsplit(request.host_url).hostname or "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    port = os.environ.get("CALLBOX_SIP_PORT", "5060")
    return f"{host}:{port}" if port != "5060" else host


def _create_agents():
    conn = get_db()
    created, problem, failed_row = service.create_agents(conn, actor(), service.agent_rows(request.form))
    if problem is not None:
        # the rows before the failed one are made: their sheet is shown with the form again
        form = {key: value for key, value in request.form.items()}
        return _page("agents", form=form, error=word(problem.description), status=problem.code or 400,
                     agent_rows=service.AGENT_ROWS, created=created, sip_address=_box_sip_address(),
                     failed_row=failed_row)
    return render_template("wizard/sheet.html", created=created, sip_address=_box_sip_address(),
                           step="agents", steps=STEPS, state=service.progress(conn))


# --- network: apply, then keep only if the browser comes back ----------------------------------------

def _apply_network():
    service.apply_network(get_db(), actor(), _changes(), request.form, _changes().backend.interfaces())
    _changes().arm()
    return redirect(url_for("wizard.step", step="network"))


def _network_pending():
    """The network step while a change waits for its confirmation (the same URL, /wizard/network)."""
    pending = _changes().pending()
    assert pending is not None
    new_host = None
    if pending.new_address:
        port = urlsplit(request.host_url).port
        new_host = f"[{pending.new_address}]" if ":" in pending.new_address else pending.new_address
        new_host += f":{port}" if port else ""
    return render_template("wizard/network_pending.html", pending=pending, steps=STEPS, step="network",
                           state=service.progress(get_db()), now=_changes().clock(), new_host=new_host,
                           keep_path=url_for("wizard.network_keep", token=pending.token))


def _verdict(verdict: str):
    if verdict == "keep":
        service.step_done(get_db(), "-" if current_identity() is None else actor(), "network")
        flash(_("The new network setting is kept."))
    elif verdict == "rollback":
        flash(_("The new network setting was not confirmed in time: the previous one is back."), "error")
    return verdict


@bp.post("/wizard/network/confirm")
@requires("admin")
def network_confirm():
    """The pending page's script, once the box answers it with the new setting in force."""
    verdict = _verdict(_changes().confirm())
    return jsonify(verdict=verdict, next=url_for("wizard.step", step="trunk") if verdict == "keep" else
                   url_for("wizard.step", step="network"))


@bp.route("/wizard/network/keep", methods=("GET", "POST"))
@public
def network_keep():
    """A browser that reached the box at its new address: it has no session there yet (the cookie
    belongs to the old address), so the pending change's token, from the link it followed, stands in."""
    token = request.values.get("token") or ""
    pending = _changes().pending()
    if request.method == "GET":
        valid = pending is not None and network.secrets.compare_digest(token, pending.token)
        return render_template("wizard/network_keep.html", token=token, valid=valid)
    verdict = _verdict(_changes().confirm(token))
    if verdict == "none":
        raise NotFound("no network change is waiting for this link")
    return render_template("wizard/network_keep.html", token=token, valid=False, verdict=verdict)


# --- live checks: the trunk and the test call -------------------------------------------------------

def trunk_check(trunk: dict) -> dict[str, Any]:
    """The trunk as the engine sees it now: a registering trunk's last answer, a peer's answer to an
    OPTIONS from the box (as the console's line test). The trunk page shows it; its script fetches
    the page again every few seconds and takes the checks from it."""
    check: dict[str, Any] = {"trunk": trunk}
    if trunk["type"] == "register":
        try:
            known = engine.client(timeout=3.0).request("trunks")["trunks"]
        except (engine.EngineUnavailable, engine.EngineError, KeyError, TypeError):
            check["engine"] = False
        else:
            check["engine"] = True
            mine = next((t for t in known if isinstance(t, dict) and t.get("id") == trunk["id"]), None)
            check["registration"] = (mine or {}).get("registration") or None
            check["known"] = mine is not None
    else:
        check["options"] = send_options(trunk["address"], timeout=2.0)
    return check


def live_calls() -> dict[str, Any]:
    """The calls the engine carries now, as the test call step shows them arriving (its script
    fetches the page again every second and takes the list from it)."""
    status, problem = engine.status()
    names = {a["id"]: a["name"] for a in (status or {}).get("agents", [])}
    calls = [{**c, "answered_by": names.get(c["agent_id"]) if c["phase"] == "talking" else None,
              "ringing": [names.get(i, str(i)) for i in c["ringing_agent_ids"]]}
             for c in (status or {}).get("calls", [])]
    return {"calls": calls, "problem": problem}
