"""Helper of tests/lab/test_train.py: ``python _kill_resume_worker.py CONFIG_JSON MARKER STEP``.

Runs the config (a :func:`lab.config.to_dict` JSON file) with :func:`lab.train.run` on one torch
thread, and when the training loop is about to write ``last.pt`` for ``STEP`` (that step's metrics
are flushed, the checkpoint on disk is still the one before) it writes MARKER and waits there
until it is killed: the test kills it at a known point, with no race against the run's end.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Any

import torch

from lab import checkpoint
from lab.config import from_dict
from lab.train import run


def main(argv: list[str]) -> int:
    config_path, marker, pause = Path(argv[0]), Path(argv[1]), int(argv[2])
    torch.set_num_threads(1)
    save = checkpoint.save_atomic

    def save_or_wait(state: dict[str, Any], path: Path) -> None:
        if path.name == "last.pt" and state["step"] == pause:
            marker.write_text(f"{pause}\n")
            threading.Event().wait()  # until SIGKILL
        save(state, path)

    checkpoint.save_atomic = save_or_wait
    result = run(from_dict(json.loads(config_path.read_text())), progress=False)
    print(result.status, result.reason)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
