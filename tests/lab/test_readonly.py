"""A read-only store and an unwritable runs dir, injected with a read-only bind mount in a
private mount namespace (``unshare -m``): training is refused in one line (exit 2) with nothing
created, while reading keeps working (finished runs are skipped, reports and reconstructions
are made from the store)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.lab.conftest import SR, TINY, harmonic_clip

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def _can_mount() -> str:
    """"" when this process may bind-mount in a new mount namespace, else why not."""
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is not installed"
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount --bind / /mnt"],
                           capture_output=True, text=True)
    return "" if probe.returncode == 0 else f"no mount namespace here: {probe.stderr.strip()}"


NO_MOUNT = _can_mount()
pytestmark = [pytest.mark.slow, pytest.mark.faults,
              pytest.mark.skipif(bool(NO_MOUNT), reason=NO_MOUNT)]


def read_only(folder: Path, *cmd: str) -> subprocess.CompletedProcess[str]:
    """``cmd`` with ``folder`` mounted read-only (for that command only)."""
    f = shlex.quote(str(folder))
    script = f"mount --bind {f} {f} && mount -o remount,bind,ro {f} && exec \"$@\""
    return subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", *cmd], cwd=ROOT, env=ENV,
                          capture_output=True, text=True, timeout=600)


def test_a_read_only_store_is_read_not_written(corpus: Path, cache_dir: Path,
                                               tmp_path: Path) -> None:
    store = tmp_path / "store"
    runs = store / "runs"
    args = ["--data", str(corpus), "--runs-dir", str(runs), *TINY, "optim.steps=2",
            f"data.cache_dir={cache_dir}", "tracking.experiment=ro"]
    lab_run = [sys.executable, "-m", "lab.run"]
    from lab.run import main as run_main

    assert run_main(["--seeds", "0", *args]) == 0  # the finished run, made in this process
    before = sorted(p.relative_to(store) for p in store.rglob("*"))

    # a finished run is found and skipped
    again = read_only(store, *lab_run, "--seeds", "0", *args)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "1 skipped" in again.stdout and "Traceback" not in again.stderr
    # a new run cannot be trained there: one line, exit 2
    new = read_only(store, *lab_run, "--seeds", "1", *args)
    assert new.returncode == 2, new.stderr[-2000:]
    err = new.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: cannot write to "), err
    assert "Read-only file system" in err[0] and "--runs-dir" in err[0]
    # reports and reconstructions read the store
    report = read_only(store, sys.executable, "-m", "analysis.report", "--runs-dir", str(runs),
                       "--out", str(tmp_path / "reports"))
    assert report.returncode == 0, report.stderr[-2000:]
    assert (tmp_path / "reports" / "index.html").is_file()
    wav = tmp_path / "in.wav"
    sf.write(wav, harmonic_clip(150.0, 3.0).astype(np.float32), SR)
    recon = read_only(store, sys.executable, "-m", "lab.reconstruct", str(wav), "--run",
                      "complex-vq8-s0", "--runs-dir", str(runs), "--out",
                      str(tmp_path / "recon"), "--no-progress")
    assert recon.returncode == 0, recon.stderr[-2000:]
    assert (tmp_path / "recon" / "in.recon.wav").is_file()
    assert sorted(p.relative_to(store) for p in store.rglob("*")) == before  # nothing written


def test_a_runs_dir_that_cannot_be_created_is_one_line(corpus: Path, cache_dir: Path,
                                                      tmp_path: Path) -> None:
    parent = tmp_path / "parent"
    parent.mkdir()
    proc = read_only(parent, sys.executable, "-m", "lab.run", "--data", str(corpus),
                     "--runs-dir", str(parent / "runs"), "--seeds", "0", *TINY,
                     f"data.cache_dir={cache_dir}")
    assert proc.returncode == 2, proc.stderr[-2000:]
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: cannot write to {parent}"), err
    assert not any(parent.iterdir())
