"""Progress bars for a terminal and for a log: :func:`progress` is what every lab bar uses.

On a terminal (the stream is a TTY) a bar is tqdm's live bar. Written to a file or a pipe (a log,
``make experiments > log``, CI), a live bar is one line rewritten with carriage returns hundreds
of times; there :func:`progress` gives a :class:`LogBar` instead: one plain line per
``1 / LINES`` of the total (every 5 %), plus the first and the last, each ending in a newline,
with the bar's postfix (e.g. the latest validation loss) on every line.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Sized
from typing import IO, Any

from tqdm import tqdm

LINES = 20  # lines per bar in a log: one per 5 %


def is_terminal(stream: IO[str] | None) -> bool:
    """Whether ``stream`` (default stderr) is a TTY."""
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


class LogBar(tqdm):  # type: ignore[misc]  # tqdm has no type hints
    """A tqdm bar that writes whole lines: one per display of a new count, never a carriage
    return, nothing to clear at the end (see the module docstring)."""

    _shown: float | None = None

    def display(self, msg: str | None = None, pos: int | None = None) -> bool:
        if msg is not None:  # tqdm clearing the line ('') or a message: nothing in a log
            return False
        if self.n == self._shown:  # a postfix change alone is no new line
            return True
        self._shown = self.n
        self.fp.write(self.__str__() + "\n")
        self.fp.flush()
        return True

    def close(self) -> None:
        if not self.disable and self.n != self._shown:
            self.display()  # the final count (a loop that ended early, a partial update)
        self.leave = False  # the last line stays; tqdm would add an empty one
        super().close()


def progress(iterable: Iterable[Any] | None = None, *, desc: str, unit: str,
             total: float | None = None, initial: float = 0, disable: bool = False,
             leave: bool = True, file: IO[str] | None = None) -> tqdm:
    """A tqdm bar over ``iterable`` (or updated by hand with ``total``): live on a terminal,
    :data:`LINES` lines on a log (``file``, default stderr, is not a TTY)."""
    stream = sys.stderr if file is None else file
    kwargs: dict[str, Any] = {"desc": desc, "unit": unit, "total": total, "initial": initial,
                              "disable": disable, "leave": leave, "file": stream}
    if is_terminal(stream):
        return tqdm(iterable, dynamic_ncols=True, **kwargs)
    if total is None and iterable is not None:
        total = len(iterable) if isinstance(iterable, Sized) else None
    every = max(1, math.ceil((total or 0) / LINES))
    return LogBar(iterable, miniters=every, mininterval=0.0, maxinterval=math.inf,
                  **{**kwargs, "total": total})
