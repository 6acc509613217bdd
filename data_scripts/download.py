"""Resumable HTTP download with SHA-256 verification.

The file grows in ``DEST.part``; an interrupted download resumes from there with an HTTP
``Range`` request (a server that ignores ranges makes it restart cleanly), and only a file whose
SHA-256 matches is renamed to ``DEST``. A mismatch deletes the partial file and raises.
"""

from __future__ import annotations

import hashlib
import urllib.request
from pathlib import Path

from tqdm import tqdm

CHUNK = 1 << 20


class ChecksumError(RuntimeError):
    """The downloaded file is not the expected one."""


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def download(url: str, dest: Path, sha256: str | None, quiet: bool = False,
             timeout: float = 60.0) -> Path:
    """Download ``url`` to ``dest`` (resuming ``dest.part``), verify ``sha256`` when given."""
    if dest.is_file() and (sha256 is None or sha256_of(dest) == sha256):
        return dest
    part = dest.with_name(dest.name + ".part")
    dest.parent.mkdir(parents=True, exist_ok=True)
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        resumed = have > 0 and response.status == 206
        if not resumed:
            have = 0  # the server sent the whole file: start over
        length = response.headers.get("Content-Length")
        total = have + int(length) if length is not None else None
        with part.open("ab" if resumed else "wb") as f, tqdm(
                total=total, initial=have, unit="B", unit_scale=True, disable=quiet,
                desc=dest.name) as bar:
            for block in iter(lambda: response.read(CHUNK), b""):
                f.write(block)
                bar.update(len(block))
    if total is not None and part.stat().st_size != total:
        raise OSError(f"download of {url} stopped at {part.stat().st_size} of {total} bytes; "
                      "run again to resume")
    if sha256 is not None:
        got = sha256_of(part)
        if got != sha256:
            part.unlink()
            raise ChecksumError(f"{url}: SHA-256 {got} is not the expected {sha256}; the "
                                "partial file was deleted, run again to download afresh")
    part.replace(dest)
    return dest
