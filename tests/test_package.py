"""The package a user installs: the wheel holds cvnn, vq and the cvq_audio launcher, needs only
torch, and puts no generic name (lab, analysis, ...) into site-packages; the lock satisfies
every bound of pyproject.toml; the console scripts find the checkout or say why not."""

from __future__ import annotations

import importlib.metadata as md
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from lab.sweep import SHIP_EXCLUDES, ray_runtime_env, repository

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements" / "lock.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower().replace("_", "-")] = version
    return pins


def _requirements() -> list[Requirement]:
    project = PYPROJECT["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        reqs += [Requirement(r) for r in extra]
    return [r for r in reqs if r.name != project["name"]]


def test_dependencies_are_lower_bounds_that_the_lock_satisfies() -> None:
    pins = _lock()
    assert [r.name for r in map(Requirement, PYPROJECT["project"]["dependencies"])] == ["torch"]
    for req in _requirements():
        assert all(s.operator == ">=" for s in req.specifier), f"{req}: lower bounds only"
        name = req.name.lower().replace("_", "-")
        assert name in pins, f"{req.name} is not in requirements/lock.txt"
        assert req.specifier.contains(pins[name]), f"lock pins {name}=={pins[name]}, not {req}"


def test_ray_ships_the_checkout_not_an_installed_copy() -> None:
    assert repository() == ROOT
    joined = ray_runtime_env(join=True)
    assert joined["working_dir"] == str(ROOT)
    assert set(SHIP_EXCLUDES) <= set(joined["excludes"])
    assert {".venv/", "data/", "runs/"} <= set(joined["excludes"])
    assert ray_runtime_env(join=False)["env_vars"]["PYTHONPATH"] == str(ROOT)


def _closure(names: list[str]) -> set[str]:
    """The installed distributions ``names`` need, transitively (markers of this machine)."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        dist = md.distribution(name)
        key = dist.name.lower()
        if key in seen:
            continue
        seen.add(key)
        for spec in dist.requires or []:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return seen


def _torch_only_site(target: Path) -> Path:
    """A directory holding (links to) torch and what it needs, and nothing else of this env."""
    target.mkdir()
    for name in _closure(["torch"]):
        dist = md.distribution(name)
        for top in {Path(str(f)).parts[0] for f in dist.files or []}:
            source = Path(str(dist.locate_file(top)))
            if top not in {"..", "bin"} and source.exists() and not (target / top).exists():
                (target / top).symlink_to(source)
    return target


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The wheel built from a copy of the checkout, installed offline into a fresh venv whose
    only other packages are torch and its requirements. Returns (wheel, venv python)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "src"
    shutil.copytree(ROOT, source, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", "data", "runs", "reports", "build", "dist", "*.egg-info", "*cache*"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "--no-index", "-w", str(tmp / "dist"), str(source)],
                   check=True, env=env, cwd=tmp)
    (wheel,) = (tmp / "dist").glob("cvq_audio-*.whl")
    venv = tmp / "fresh"
    # no pip nor setuptools of its own (ensurepip's setuptools would shadow the one torch needs);
    # this environment's pip installs into it
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, env=env)
    python = venv / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          check=True, capture_output=True, text=True).stdout.strip()
    deps = _torch_only_site(tmp / "torch-only")
    (Path(site) / "torch_only.pth").write_text(f"{deps}\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                    "--no-index", str(wheel)],
                   check=True, env=env, cwd=tmp)
    return wheel, python


def test_wheel_holds_the_libraries_and_the_launcher_only(installed: tuple[Path, Path]) -> None:
    wheel, _ = installed
    tops = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"cvnn", "vq", "cvq_audio"}


def test_wheel_runs_a_layer_without_the_research_stack(installed: tuple[Path, Path],
                                                      tmp_path: Path) -> None:
    _, python = installed
    probe = """
import importlib.util, sys, torch
import cvnn, vq
from cvnn import CLinear
from vq.quantizer import VectorQuantizer
assert "site-packages" in cvnn.__file__ and "site-packages" in vq.__file__, cvnn.__file__
layer = CLinear(3, 2).double()
x = torch.randn(4, 3, dtype=torch.complex128)
w = torch.complex(layer.weight[0], layer.weight[1])
b = torch.complex(layer.bias[0], layer.bias[1])
assert torch.allclose(layer(x), x @ w.T + b)
quantizer = VectorQuantizer(4, 8, kmeans_init=False).eval()
out = quantizer(torch.randn(2, 4, 5))
assert out.codes.shape == (2, 5)
assert torch.allclose(out.latent, quantizer.codebook[out.codes].movedim(-1, 1), atol=1e-6)
for name in ("lab", "analysis", "experiments", "data_scripts", "benchmarks",
             "complex_neural_net", "mlflow", "pandas", "numpy"):
    assert importlib.util.find_spec(name) is None, name
print("ok")
"""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([python, "-c", probe], capture_output=True, text=True, env=env,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_console_scripts_say_where_the_research_stack_is(installed: tuple[Path, Path],
                                                        tmp_path: Path) -> None:
    _, python = installed
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    report = python.parent / "cvq-report"
    outside = subprocess.run([report, "--help"], capture_output=True, text=True, env=env,
                             cwd=tmp_path)
    assert outside.returncode == 2
    assert "checkout" in outside.stderr and "pip install -e" in outside.stderr
    inside = subprocess.run([report, "--help"], capture_output=True, text=True, env=env,
                            cwd=ROOT / "docs")
    assert inside.returncode == 2, inside.stdout
    assert "research" in inside.stderr and "'pandas'" in inside.stderr


def test_console_scripts_run_the_modules_from_the_checkout(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    code = ("import sys; from cvq_audio import commands; "
            "sys.argv = ['cvq-experiment', *sys.argv[1:]]; raise SystemExit(commands.experiment())")
    listing = subprocess.run([sys.executable, "-c", code, "--help"], capture_output=True,
                             text=True, env=env, cwd=ROOT)
    assert listing.returncode == 0, listing.stderr
    assert "codebook_size" in listing.stdout and "real_vs_complex" in listing.stdout
    one = subprocess.run([sys.executable, "-c", code, "codebook_size", "--help"],
                         capture_output=True, text=True, env=env, cwd=ROOT)
    assert one.returncode == 0, one.stderr
    assert "--profile" in one.stdout
    unknown = subprocess.run([sys.executable, "-c", code, "codebook_sise"],
                             capture_output=True, text=True, env=env, cwd=ROOT)
    assert unknown.returncode == 2 and "unknown ablation 'codebook_sise'" in unknown.stderr
