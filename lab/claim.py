"""One process per run: an exclusive claim on a run key before anything of the run is touched.

Two sweeps started on one store (two terminals, two Ray drivers, a sweep and a ``lab.run``) used
to train the same run twice into one tracked run: both found its checkpoint marker, both resumed
it, and every history held each step twice. A run is now trained only by the process that holds
its claim: ``<runs dir>/checkpoints/<store hash>/<run key>.lock``, an ``flock(2)`` lock
(exclusive, advisory) held for the whole run.

* The kernel releases the lock when its holder dies (``kill -9`` included), so a crashed holder
  never keeps a run: the next claimant gets it and resumes from the checkpoint.
* The file names its holder (``host pid=N since ISO-time``) for the message of a process that
  finds the run claimed; the file itself is left in place (removing it would race with a new
  claimant opening it).
* Scope: every process that sees the runs dir on one filesystem, which is the case for local
  sweeps and a local Ray cluster; machines of a real cluster share it when the runs dir is on a
  shared filesystem whose ``flock`` is cluster-wide (NFSv4, Lustre, CephFS).

:mod:`lab.train` takes the claim after the finished-run check and checks again once it holds it
(the holder may have finished the run meanwhile); :mod:`lab.sweep` defers a claimed run to the
end of the sweep and then waits for it.
"""

from __future__ import annotations

import errno
import fcntl
import os
import socket
import time
from pathlib import Path
from types import TracebackType


class ClaimError(OSError):
    """The claim file cannot be created or opened (e.g. the runs dir is not writable)."""


class RunClaim:
    """The exclusive claim on one run; a context manager that releases it."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    def acquire(self, wait: bool = False) -> bool:
        """Take the claim: True when held by this object, False when another holds it (only
        without ``wait``; with it, block until the holder releases or dies)."""
        if self._fd is not None:
            return True
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise ClaimError(err.errno, f"cannot claim the run at {self.path}: "
                             f"{err.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except OSError as err:
            os.close(fd)
            if err.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return False
            raise
        self._fd = fd
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime())
        text = f"{socket.gethostname()} pid={os.getpid()} since {stamp}\n".encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, text, 0)
        return True

    def holder(self) -> str:
        """Who holds (or last held) the claim, as its file says; "" when unknown."""
        try:
            return self.path.read_text().strip()
        except OSError:
            return ""

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def __enter__(self) -> RunClaim:
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
