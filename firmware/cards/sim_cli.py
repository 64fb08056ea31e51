"""`callbox card-sim fxo ...`: the modem simulator for an installer, driven by lines on stdin."""

from __future__ import annotations

import argparse
import shlex
import sys
import time

DIALECTS = ("conexant", "rockwell", "usr")      # modem_sim.DIALECTS, named here so `callbox` starts without numpy

HELP = """commands (one per line):
  ring NUMBER [NAME...]   the exchange rings the line with this caller ID (P: withheld)
  tone HZ | tone off      what the caller says
  press DIGITS            the caller presses keys
  break | reverse         the caller hangs up (loop break | polarity reversal)
  busy | answer           what the next call the box dials gets (BUSY | VCON)
  unplug | plug           the USB modem pulled out | plugged back (same name, new pty)
  silent | wake           the modem stops answering | answers again
  nodialtone | dialtone   the exchange gives no dial tone | dial tone (the card test)
  status | quit"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", choices=("fxo", "gsm"), help="the card: fxo (a V.253 voice modem on an analog "
                                                             "line), gsm (a GSM modem for SMS, firmware/sms)")
    parser.add_argument("--dialect", choices=DIALECTS, default="conexant")
    parser.add_argument("--link", help="the stable device name to create (a symlink to the pty; default "
                                       "/tmp/callbox-KIND0); configure it as the trunk's or SMS modem's device")
    parser.add_argument("--ring", metavar="NUMBER", help="ring once at start with this caller ID")
    parser.add_argument("--tone", type=float, metavar="HZ", help="the caller sends this tone")
    parser.add_argument("--pin", help="gsm: the SIM asks for this PIN")
    parser.add_argument("--own-number", default="+46701110000", help="gsm: the SIM's number (AT+CNUM)")


def run(args: argparse.Namespace) -> int:
    args.link = args.link or f"/tmp/callbox-{args.kind}0"
    if args.kind == "gsm":
        from firmware.sms.simulator import run_cli

        return run_cli(args)
    from firmware.cards.modem_sim import ModemSimulator

    sim = ModemSimulator(args.link, args.dialect).start()
    print(f"{args.dialect} voice modem on {sim.link} -> {sim.link.resolve()}", flush=True)
    print(HELP, flush=True)
    if args.tone:
        sim.tone(args.tone)
    if args.ring:
        sim.ring(args.ring)
    try:
        for raw in sys.stdin:
            words = shlex.split(raw)
            if not words:
                continue
            if not _command(sim, words):
                break
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    return 0


def _command(sim, words: list[str]) -> bool:
    verb, rest = words[0].lower(), words[1:]
    if verb == "quit":
        return False
    if verb == "ring" and rest:
        sim.ring(rest[0], " ".join(rest[1:]))
    elif verb == "tone" and rest:
        sim.tone(None if rest[0] == "off" else float(rest[0]))
    elif verb == "press" and rest:
        sim.press("".join(ch for ch in rest[0] if ch in "0123456789*#ABCD"))
    elif verb == "break":
        sim.loop_break()
    elif verb == "reverse":
        sim.polarity_reversal()
    elif verb in ("busy", "answer"):
        sim.dial_answer = "BUSY" if verb == "busy" else "VCON"
    elif verb == "unplug":
        sim.unplug()
    elif verb == "plug":
        sim.plug()
    elif verb in ("silent", "wake"):
        sim.silent = verb == "silent"
    elif verb in ("nodialtone", "dialtone"):
        sim.dial_tone = verb == "dialtone"
    elif verb != "status":
        print(HELP, flush=True)
        return True
    time.sleep(0.05)
    frequency, level = sim.heard_frequency()
    print(f"off hook: {sim.off_hook}, voice: {sim.state == 'voice'}, dialled: {sim.dialled}, "
          f"hears {frequency:.0f} Hz at RMS {level:.0f}", flush=True)
    return True
