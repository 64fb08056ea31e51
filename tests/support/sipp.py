"""SIPp runs for tests: one scenario in the foreground, or a UAS (a phone, the engine) in the background.

Always on loopback (`-i 127.0.0.1 -mi 127.0.0.1`; `local_ip` picks another loopback address for
SIP), without stdin, with an overall time limit that counts as failure. Scenarios are looked up in tests/integration/sipp/ by file name.

    result = run_sipp("register.xml", edge.remote, local_port=port, service="1001",
                      auth_password="s3cret-pw", workdir=tmp_path)
    assert result.returncode == 0, result.explain()

SIPp exit codes: 0 all calls succeeded, 1 some call failed, 97 stopped by a command,
99 ended without any call, 255 fatal error (bad scenario, port in use, ...).
"""

from __future__ import annotations

import csv
import itertools
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.pcap import write_key_pcaps
from tests.support.ports import free_port, wait_udp_bound

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "integration" / "sipp"
LOOPBACK = "127.0.0.1"


def scenario_path(scenario: str | Path) -> Path:
    path = Path(scenario)
    if not path.is_absolute() and not path.exists():
        path = SCENARIO_DIR / path
    if not path.exists():
        raise FileNotFoundError(f"no SIPp scenario {scenario} (looked in {SCENARIO_DIR})")
    return path


@dataclass
class SippResult:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    errors: str = ""                       # SIPp's error log (-trace_err)
    log: str = ""                          # <log> actions of the scenario (-trace_logs)
    messages: str = ""                     # every message sent and received (-trace_msg)
    stats: dict[str, str] | None = None    # the last line of -trace_stat, by column name

    def explain(self) -> str:
        """Everything useful for an assertion message."""
        screen = self.stdout[-3000:]
        return (f"sipp exited {self.returncode}: {' '.join(self.argv)}\n"
                f"--- errors ---\n{self.errors or '(none)'}\n--- stderr ---\n{self.stderr[-2000:]}\n"
                f"--- last screen ---\n{screen}")


@dataclass
class _Files:
    workdir: Path
    name: str
    errors: Path = field(init=False)
    log: Path = field(init=False)
    stats: Path = field(init=False)
    screen: Path = field(init=False)
    messages: Path = field(init=False)

    def __post_init__(self):
        self.errors = self.workdir / f"{self.name}.errors.log"
        self.log = self.workdir / f"{self.name}.log"
        self.stats = self.workdir / f"{self.name}.stats.csv"
        self.screen = self.workdir / f"{self.name}.screen.txt"
        self.messages = self.workdir / f"{self.name}.messages.log"


def sipp_argv(scenario: str | Path, remote: str | None = None, *, local_port: int,
              local_ip: str = LOOPBACK, calls: int = 1, service: str | None = None, auth_user: str | None = None,
              auth_password: str | None = None, inf: Path | None = None,
              media_port: int | None = None, timeout: float = 10.0, files: _Files | None = None,
              stats: bool = False, extra: tuple[str, ...] = ()) -> list[str]:
    argv = [shutil.which("sipp") or "/usr/bin/sipp"]
    if remote:
        argv.append(remote)
    argv += ["-sf", str(scenario_path(scenario)),
             "-i", local_ip, "-mi", LOOPBACK, "-p", str(local_port),
             "-mp", str(media_port or free_port(span=3)),
             "-m", str(calls), "-nostdin",
             "-timeout", f"{timeout:g}s", "-timeout_error"]
    if service is not None:
        argv += ["-s", service]
    if auth_user is not None:
        argv += ["-au", auth_user]
    if auth_password is not None:
        argv += ["-ap", auth_password]
    if inf is not None:
        argv += ["-inf", str(inf)]
    if files is not None:
        argv += ["-trace_err", "-error_file", str(files.errors),
                 "-trace_logs", "-log_file", str(files.log),
                 "-trace_msg", "-message_file", str(files.messages)]
        if stats:
            argv += ["-trace_stat", "-stf", str(files.stats), "-fd", "1"]
    return [*argv, *extra]


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return ""


def _stats(path: Path) -> dict[str, str] | None:
    rows = list(csv.reader(_read(path).splitlines(), delimiter=";"))
    if len(rows) < 2:
        return None
    return dict(zip(rows[0], rows[-1]))


def _result(argv, returncode, stdout, stderr, files: _Files, stats: bool) -> SippResult:
    return SippResult(argv, returncode, stdout or "", stderr or "", errors=_read(files.errors),
                      log=_read(files.log), messages=_read(files.messages),
                      stats=_stats(files.stats) if stats else None)


_run_number = itertools.count(1)


def _files(scenario, workdir: Path | None) -> _Files:
    workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="sipp-"))
    workdir.mkdir(parents=True, exist_ok=True)
    return _Files(workdir, f"{Path(str(scenario)).stem}-{next(_run_number)}")


SIPP_AUDIO = "/usr/share/sip-tester/g711a.pcap"


def scenario_playing(template: str, pcap: Path, workdir: Path) -> Path:
    """The scenario `template` with `pcap` as the audio it plays instead of SIPp's own recording."""
    path = workdir / f"{Path(template).stem}-{pcap.stem}.xml"
    path.write_text(scenario_path(template).read_text().replace(SIPP_AUDIO, str(pcap)))
    return path


def keyed_scenario(template: str, presses: list[tuple[int, str]], workdir: Path) -> Path:
    """The scenario `template` with key presses where it says <!-- KEYS -->: each (pause in ms, key)
    waits, then sends the key as RFC 4733 (write_key_pcaps: presses of the same key stay apart)."""
    pcaps = write_key_pcaps("".join(key for _, key in presses), workdir / "keys")
    steps = "".join(f'  <pause milliseconds="{pause}"/>\n'
                    f'  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>\n'
                    for (pause, _), pcap in zip(presses, pcaps))
    text = scenario_path(template).read_text()
    if "<!-- KEYS -->" not in text:
        raise ValueError(f"{template} has no <!-- KEYS --> marker")
    path = workdir / f"{Path(template).stem}-keyed.xml"
    path.write_text(text.replace("<!-- KEYS -->", steps.strip()))
    return path


def run_sipp(scenario: str | Path, remote: str, *, local_port: int | None = None,
             timeout: float = 10.0, stats: bool = False, workdir: Path | None = None,
             **options) -> SippResult:
    """Runs a client scenario in the foreground until it ends (or `timeout` s pass: failure)."""
    files = _files(scenario, workdir)
    argv = sipp_argv(scenario, remote, local_port=local_port or free_port(), timeout=timeout,
                     files=files, stats=stats, **options)
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout + 10,
                              cwd=files.workdir, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        return _result(argv, -1, exc.stdout, exc.stderr, files, stats)
    return _result(argv, done.returncode, done.stdout, done.stderr, files, stats)


class BackgroundSipp:
    """A scenario running while the test does other things: usually a server (a phone, an engine
    stand-in); with `remote` a client (e.g. several callers at once)."""

    def __init__(self, scenario: str | Path, *, local_port: int | None = None, remote: str | None = None,
                 timeout: float = 20.0, stats: bool = False, workdir: Path | None = None, **options):
        self.files = _files(scenario, workdir)
        self.stats = stats
        self.local_port = local_port = local_port or free_port()
        self.argv = sipp_argv(scenario, remote, local_port=local_port, timeout=timeout,
                              files=self.files, stats=stats, **options)
        # The screen goes to a file: a pipe nobody reads would fill up and stall SIPp.
        with open(self.files.screen, "wb") as screen:
            self.proc = subprocess.Popen(self.argv, stdout=screen, stderr=subprocess.STDOUT,
                                         cwd=self.files.workdir, stdin=subprocess.DEVNULL)
        try:
            wait_udp_bound(local_port)
        except TimeoutError:
            self.stop()
            raise RuntimeError(f"SIPp did not bind {local_port}:\n{self.wait(1).explain()}") from None

    def wait(self, timeout: float = 10.0) -> SippResult:
        """Waits for the scenario's calls to end (-m); stops it if they do not in time."""
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()
        return _result(self.argv, self.proc.returncode, _read(self.files.screen), "", self.files, self.stats)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> BackgroundSipp:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def background_sipp(scenario: str | Path, **kwargs) -> BackgroundSipp:
    """`with background_sipp("agent_uas.xml", local_port=p, workdir=tmp_path) as phone: ...`"""
    return BackgroundSipp(scenario, **kwargs)


__all__ = ["SippResult", "BackgroundSipp", "background_sipp", "run_sipp", "sipp_argv", "scenario_path"]
