"""A backup encrypted with a passphrase, as a stream: never the whole file in memory.

Why this construction: the `cryptography` package (OpenSSL underneath, maintained by the PyCA)
gives the primitives, and we put them together the way age and Tink's streaming AEAD do, because
their one-shot AEAD calls need the whole plaintext in memory and a backup with recordings is GBs:
  - scrypt (RFC 7914) turns the passphrase and a random 16-byte salt into 64 bytes: a payload key
    and a header key. scrypt is memory-hard, so guessing passphrases costs a GPU as much as it costs
    the box; its cost parameters are in the header, bounded when read (the file is hostile).
  - The header (magic, parameters, salt) carries an HMAC-SHA256 under the header key: a wrong
    passphrase is told apart from a damaged payload before anything is decrypted.
  - The payload is the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015; age's
    payload): 64 KiB chunks, each sealed with ChaCha20-Poly1305 under a nonce of an 11-byte chunk
    counter and a last-chunk flag. Reordered, altered or dropped chunks fail their tag, and a file
    cut at a chunk boundary fails too, since its new last chunk was not sealed as the last one.
ChaCha20-Poly1305 rather than AES-GCM: the Raspberry Pi 4 has no AES instructions.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from firmware.backup.errors import DamagedBackup, WrongPassphrase
from firmware.message import Message

MAGIC = b"callbox-backup-encrypted/v1\n"
PARAMS = struct.Struct(">BBB16s")           # log2(N), r, p, salt
HEADER_LENGTH = len(MAGIC) + PARAMS.size + 32
CHUNK = 64 * 1024
TAG = 16
# scrypt's cost: N = 2^15, r = 8 takes 32 MiB and about 0.1 s here (under a second on a Pi 4).
LOG2_N, R, P = 15, 8, 1
# What a header may ask for: at most 2^18 * 8 * 128 bytes = 256 MiB of memory, on a box with 1 GiB.
MAX_LOG2_N, MAX_R, MAX_P = 18, 8, 2


def is_encrypted(head: bytes) -> bool:
    return head.startswith(MAGIC)


def _keys(passphrase: str, log2_n: int, r: int, p: int, salt: bytes) -> tuple[bytes, bytes]:
    derived = Scrypt(salt=salt, length=64, n=2 ** log2_n, r=r, p=p).derive(passphrase.encode("utf-8"))
    return derived[:32], derived[32:]


def _nonce(counter: int, last: bool) -> bytes:
    if counter >= 2 ** 88:
        raise DamagedBackup("the encrypted backup has more chunks than its counter can number")
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


class EncryptingWriter:
    """A write-only file object: what is written goes out encrypted to `target`; close() seals
    the last chunk (and does not close `target`)."""

    def __init__(self, target, passphrase: str, log2_n: int | None = None, r: int = R, p: int = P):
        if not passphrase:
            raise ValueError("an empty passphrase encrypts nothing")
        log2_n = log2_n or LOG2_N
        salt = os.urandom(16)
        key, header_key = _keys(passphrase, log2_n, r, p, salt)
        head = MAGIC + PARAMS.pack(log2_n, r, p, salt)
        target.write(head + hmac.new(header_key, head, hashlib.sha256).digest())
        self.target = target
        self.aead = ChaCha20Poly1305(key)
        self.pending = bytearray()
        self.counter = 0
        self.closed = False

    def write(self, data) -> int:
        self.pending += data
        # keep at least one byte back: the last chunk is sealed as such at close()
        while len(self.pending) > CHUNK:
            self._seal(bytes(self.pending[:CHUNK]), last=False)
            del self.pending[:CHUNK]
        return len(data)

    def _seal(self, chunk: bytes, last: bool) -> None:
        self.target.write(self.aead.encrypt(_nonce(self.counter, last), chunk, None))
        self.counter += 1

    def flush(self) -> None:
        self.target.flush()

    def close(self) -> None:
        if not self.closed:
            self._seal(bytes(self.pending), last=True)
            self.pending.clear()
            self.closed = True
            self.target.flush()


class DecryptingReader:
    """A read-only file object over an encrypted backup; raises WrongPassphrase at once (in the
    constructor) and DamagedBackup for an altered or cut payload as it is read."""

    def __init__(self, source, passphrase: str | None):
        head = _read_exactly(source, HEADER_LENGTH)
        if len(head) < HEADER_LENGTH or not is_encrypted(head):
            raise DamagedBackup(Message("the encrypted backup's header is cut short or not a Callbox header"))
        log2_n, r, p, salt = PARAMS.unpack_from(head, len(MAGIC))
        if not (10 <= log2_n <= MAX_LOG2_N and 1 <= r <= MAX_R and 1 <= p <= MAX_P):
            raise DamagedBackup(f"the encrypted backup asks for scrypt costs out of bounds (N=2^{log2_n}, r={r}, p={p})")
        if not passphrase:
            raise WrongPassphrase(Message("this backup is encrypted: give its passphrase"))
        key, header_key = _keys(passphrase, log2_n, r, p, salt)
        body, mac = head[:-32], head[-32:]
        if not hmac.compare_digest(hmac.new(header_key, body, hashlib.sha256).digest(), mac):
            raise WrongPassphrase(Message("wrong passphrase for this backup (or its header was altered)"))
        self.source = source
        self.aead = ChaCha20Poly1305(key)
        self.counter = 0
        self.buffer = b""
        self.plain = bytearray()
        self.done = False

    def read(self, size: int = -1) -> bytes:
        while not self.done and (size < 0 or len(self.plain) < size):
            self._open_next()
        if size < 0:
            size = len(self.plain)
        out = bytes(self.plain[:size])
        del self.plain[:size]
        return out

    def _open_next(self) -> None:
        # one chunk is the last exactly when nothing follows it: read one byte past it to know
        while len(self.buffer) <= CHUNK + TAG:
            more = self.source.read(CHUNK + TAG + 1 - len(self.buffer))
            if not more:
                break
            self.buffer += more
        last = len(self.buffer) <= CHUNK + TAG
        sealed, self.buffer = self.buffer[:CHUNK + TAG], self.buffer[CHUNK + TAG:]
        try:
            self.plain += self.aead.decrypt(_nonce(self.counter, last), sealed, None)
        except InvalidTag:
            raise DamagedBackup(Message("the encrypted backup was altered or cut short (its chunk {chunk} fails "
                                        "its check)", chunk=self.counter)) from None
        self.counter += 1
        self.done = last


def _read_exactly(source, size: int) -> bytes:
    data = b""
    while len(data) < size:
        more = source.read(size - len(data))
        if not more:
            break
        data += more
    return data
