"""Reconstruct your own WAV files with a finished run's model: ``python -m lab.reconstruct``.

``python -m lab.reconstruct --run RUN INPUT --out DIR [--runs-dir DIR | --tracking-uri URI]
[--device cpu|cuda] [--batch-size N] [--pcm16] [--no-progress]``

* **Run.** ``RUN`` is an MLflow run id or a run name (``complex-vq256-s0``); a name matching
  several runs takes the latest FINISHED one and says so. The store is the embedded
  ``sqlite:///<abs runs dir>/mlflow.db`` (as :mod:`lab.tracking` builds it; it must exist) or a
  server (``--tracking-uri http://...``). The run's ``model/`` and ``config.json`` artifacts are
  downloaded to a temporary folder; the model is read with ``torch.load(weights_only=True)``
  (:func:`lab.artifacts.load_model`: a pickle that would run code is refused).
* **Input.** A WAV file, or a folder searched recursively for ``*.wav`` (any case); any sample
  rate, length and channel count. Channels are averaged to mono, then resampled to the model's
  rate (``features.sample_rate``) with soxr's very-high-quality resampler (through
  ``librosa.resample(res_type="soxr_vhq")``; ``ceil(n * rate_out / rate_in)`` samples).
* **Chunking.** The model was trained on clips of ``C`` samples (1 s,
  :data:`lab.build.CLIP_SECONDS`). A file of at most ``C`` samples is zero-padded at the end to
  one clip (as the training clips were). A longer one is cut into clips of ``C`` samples with
  50 % overlap (hop ``H = C // 2``, the last clip zero-padded), each reconstructed on its own
  (in batches of ``--batch-size`` clips); the outputs are cross-faded with a
  periodic Hann window ``w`` and normalized by the summed weights,
  ``y(t) = sum_k w_k(t - kH) y_k(t - kH) / sum_k w_k(t - kH)``, where the first clip's rising
  half and the last clip's falling half are flat (1), so the file's ends keep full weight. Why:
  a clip's edges are where the model (zero-padded convolutions) and the STFT (reflect-padded
  frames) are worst, and there the cross-fade weight goes to 0, so the joins make no clicks;
  since ``w(j) + w(j + H) = 1`` for even ``C``, a model that returns its input gives back the
  signal exactly (:func:`lab.overlap_add.overlap_add`, tested with the identity). It costs two
  model passes per second of audio. Caveat: for magnitude-only runs (Griffin-Lim phase, as
  :class:`lab.reconstruction.Reconstructor` does by default) each clip gets its own phase
  estimate, and in the overlaps two estimates are mixed. The result is trimmed to the input's
  (resampled) length. A VAE decodes its posterior mean (eval mode), not a sample.
* **Metrics** (:func:`lab.metrics.clip_metrics`, the names a run reports: ``si_sdr``,
  ``pesq_wb``, ``stoi``, ...) between the resampled mono reference and the reconstruction, in
  float before the files are written. A metric that fails on a file (PESQ's
  ``NoUtterancesError``, STOI with too few speech frames) is left empty for that file and
  counted (``pesq_failures``, ``stoi_failures``) as in :func:`lab.metrics.summarize`.
* **Short and truncated files.** A file shorter than a clip is zero-padded as above; the
  spectral metrics of a signal shorter than a resolution's window (2,048 samples for the
  multi-resolution STFT and mel distances) are computed on it zero-padded to that window
  (:mod:`lab.metrics`); PESQ and STOI that cannot be computed on so little audio are counted
  as failed metrics. A WAV whose ``data`` chunk declares more bytes than the file holds is
  reconstructed from the samples it holds and flagged: ``status=truncated`` with the detail in
  ``metrics.csv``, an entry of ``truncated`` in ``summary.json``, a line on stderr.
* **Failures.** A file that cannot be read, has no samples, non-finite samples, or is silent
  (every sample 0: SI-SDR, PESQ and STOI are undefined) is a failed file: a line on stderr with
  the reason, an entry of ``failed`` in ``summary.json``, a row with ``status=failed`` in
  ``metrics.csv``; no file is dropped silently. Exit status: 0 when every file is reconstructed,
  1 when any failed (a truncated file is flagged, not failed), 2 for a usage error (unknown
  run, unreachable or missing store, no WAV found, a path that does not exist), with a
  one-line message.

Output layout under ``--out`` (mirroring the input folder)::

    <relative path stem>.recon.wav   the reconstruction, model rate, mono, 32-bit float (the
                                     signal the metrics measured, not clipped; ``--pcm16``:
                                     16-bit PCM, clipped to [-1, 1], for old players)
    <relative path stem>.ref.wav     the resampled mono reference, the same format
    metrics.csv                      one row per input file: file, sample_rate (the original),
                                     duration_s, the metrics, failed_metrics, channels, status,
                                     error
    summary.json                     the run, the method, files / files_ok / files_failed, the
                                     mean of each metric over the files it did not fail on
                                     (null when it failed on all), the failure counts, failed
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import torch
from torch import Tensor
from tqdm import tqdm

from data_scripts.repair import wav_truncation
from lab.artifacts import load_model
from lab.build import CLIP_SECONDS
from lab.config import ConfigError, from_dict
from lab.features import FeatureTransform
from lab.metrics import ClipMetrics, clip_metrics, summarize
from lab.overlap_add import overlap_add
from lab.progress import progress
from lab.reconstruction import Reconstructor
from lab.tracking import TrackingUnavailableError, check_reachable, default_uri, redact

COUNTS = ("pesq_failures", "stoi_failures", "n_clips")
METRICS = tuple(k.split("/", 1)[1] for k in summarize([], "m")
                if not k.endswith(COUNTS))  # si_sdr, snr, pesq_wb, stoi, ... as runs report them
EXAMPLE = """example:
  python -m lab.reconstruct --run complex-vq256-s0 recordings/ --out recon/
  python -m lab.reconstruct --run 0f3c5e... talk.wav --out recon/ \\
      --tracking-uri http://127.0.0.1:5000 --device cuda
exit status: 0 all files reconstructed, 1 some failed (see stderr, summary.json), 2 usage error"""


class UsageError(Exception):
    """A problem with the command line or the run: one message, exit status 2."""


class InputError(Exception):
    """A WAV file that cannot be reconstructed (the message is the reason)."""


# -- the input ---------------------------------------------------------------------------------
def read_mono(path: Path) -> tuple[np.ndarray, int, int, str]:
    """``(samples float64 (n,), sample rate, channels, truncation)``; :class:`InputError` for
    bad audio. ``truncation`` describes a WAV whose ``data`` chunk declares more bytes than
    the file holds (libsndfile reads what is there and says nothing), else ""."""
    data = path.read_bytes()
    if not data:
        raise InputError("empty file (0 bytes)")
    truncation = wav_truncation(data) or ""
    try:
        audio, sr = sf.read(io.BytesIO(data), dtype="float64", always_2d=True)
    except sf.LibsndfileError as err:
        raise InputError(f"not a readable WAV file ({err.error_string})") from None
    except RuntimeError as err:
        raise InputError(f"not a readable WAV file ({err})") from None
    if len(audio) == 0:
        raise InputError("no samples")
    if not np.isfinite(audio).all():
        raise InputError("non-finite samples (NaN or Inf)")
    mono: np.ndarray = audio.mean(axis=1)
    if not mono.any():
        raise InputError("silent: every sample is 0 (SI-SDR, PESQ and STOI are undefined)")
    return mono, int(sr), audio.shape[1], truncation


def resample(x: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """soxr VHQ resampling to ``sr_out`` Hz (``ceil(n * sr_out / sr_in)`` samples)."""
    if sr_in == sr_out:
        return x
    import librosa

    y: np.ndarray = librosa.resample(x, orig_sr=sr_in, target_sr=sr_out, res_type="soxr_vhq")
    return y


# -- the run -----------------------------------------------------------------------------------
@dataclass
class LoadedRun:
    run_id: str
    run_name: str
    uri: str
    reconstructor: Reconstructor  # in eval mode, on its device
    sample_rate: int
    clip: int
    notes: list[str] = field(default_factory=list)


def store_uri(runs_dir: str | None, tracking_uri: str | None) -> str:
    """The store to read (reading never creates an empty store by mistake)."""
    uri = tracking_uri or default_uri(runs_dir or "runs")
    if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).is_file():
        raise UsageError(f"no tracking store at {uri.removeprefix('sqlite:///')}; pass "
                         f"--runs-dir (the folder with mlflow.db) or --tracking-uri")
    try:
        check_reachable(uri)
    except TrackingUnavailableError as err:
        raise UsageError(str(err)) from None
    if not uri.startswith(("sqlite:", "http://", "https://")):
        raise UsageError(f"unsupported tracking URI {redact(uri)}: use http(s):// or --runs-dir")
    return uri


def find_run(client: Any, run: str, uri: str) -> tuple[Any, list[str]]:
    """The run with id ``run``, else the latest FINISHED one named ``run`` (and notes)."""
    from mlflow.entities import ViewType
    from mlflow.exceptions import MlflowException

    try:
        return client.get_run(run), []
    except MlflowException:
        pass
    if "'" in run and '"' in run:
        raise UsageError(f"no run with id {run!r}, and a name cannot hold both kinds of quote")
    quote = '"' if "'" in run else "'"
    experiments = [e.experiment_id for e in client.search_experiments(view_type=ViewType.ALL)]
    runs = client.search_runs(experiments, f"attributes.run_name = {quote}{run}{quote}",
                              run_view_type=ViewType.ACTIVE_ONLY, max_results=1000,
                              order_by=["attributes.start_time DESC"]) if experiments else []
    if not runs:
        raise UsageError(f"no run with id or name {run!r} in {redact(uri)}")
    finished = [r for r in runs if r.info.status == "FINISHED"]
    if not finished:
        states = ", ".join(sorted({r.info.status for r in runs}))
        raise UsageError(f"run name {run!r} matches {len(runs)} run(s), none FINISHED ({states}); "
                         f"pass a run id to use one anyway")
    notes = []
    if len(runs) > 1:
        notes.append(f"run name {run!r} matches {len(runs)} runs ({len(finished)} FINISHED); "
                     f"using the latest FINISHED one, {finished[0].info.run_id}")
    return finished[0], notes


def load_run(run: str, uri: str, device: str) -> LoadedRun:
    """Download ``run``'s model and config and rebuild its reconstructor (see the module docs)."""
    import pickle

    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    if device == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda but CUDA is not available")
    client = MlflowClient(tracking_uri=uri)
    try:
        found, notes = find_run(client, run, uri)
    except MlflowException as err:
        raise UsageError(f"cannot read the tracking store: {err.message}") from None
    run_id, status = found.info.run_id, found.info.status
    with tempfile.TemporaryDirectory() as tmp:
        try:
            model_dir = Path(client.download_artifacts(run_id, "model", tmp))
            config_file = Path(client.download_artifacts(run_id, "config.json", tmp))
        except (MlflowException, OSError) as err:
            raise UsageError(f"run {run_id} ({status}) has no model artifacts (model/, "
                             f"config.json): {type(err).__name__}") from None
        try:
            config = from_dict(json.loads(config_file.read_text()))
        except (ConfigError, ValueError) as err:
            raise UsageError(f"config.json of run {run_id} cannot be read: {err}") from None
        try:
            model, normalizer = load_model(model_dir)
        except (pickle.UnpicklingError, RuntimeError, KeyError, TypeError, OSError) as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else ""
            raise UsageError(f"refusing or unable to load model/model.pt of run {run_id}: "
                             f"{type(err).__name__}: {first}") from None
    try:
        rec = Reconstructor(FeatureTransform(config.features), model, normalizer)
    except ValueError as err:
        raise UsageError(f"run {run_id}: {err}") from None
    rec.to(torch.device(device)).eval()
    if status != "FINISHED":
        notes.append(f"run {run_id} is {status}, not FINISHED")
    sr = config.features.sample_rate
    return LoadedRun(run_id, found.info.run_name or run_id, uri, rec, sr,
                     int(CLIP_SECONDS * sr), notes)


# -- files -------------------------------------------------------------------------------------
@dataclass
class FileResult:
    file: str  # relative to the input folder
    sample_rate: int | None = None
    channels: int | None = None
    duration_s: float | None = None
    metrics: ClipMetrics | None = None
    error: str = ""
    truncated: str = ""  # a WAV cut short: reconstructed from what it holds, and flagged


def find_wavs(root: Path, out: Path) -> list[tuple[Path, str]]:
    """``(path, output stem)`` of every ``*.wav`` under ``root`` (or ``root`` itself), sorted,
    leaving out ``out`` (a rerun does not read its own outputs)."""
    if not root.exists():
        raise UsageError(f"{root} does not exist")
    if root.is_file():
        return [(root, root.stem)]
    out = out.resolve()
    paths = sorted(p for p in root.rglob("*") if p.suffix.lower() == ".wav" and p.is_file()
                   and not p.resolve().is_relative_to(out))
    if not paths:
        raise UsageError(f"no WAV files (*.wav) under {root}")
    stems = [p.relative_to(root).with_suffix("").as_posix() for p in paths]
    seen = Counter(stems)  # a.wav beside a.WAV: keep the suffix, so no output overwrites another
    return [(p, p.relative_to(root).as_posix() if seen[s] > 1 else s)
            for p, s in zip(paths, stems, strict=True)]


def write_wav(path: Path, wave: np.ndarray, sample_rate: int, pcm16: bool = False) -> None:
    """32-bit float, or 16-bit PCM clipped to [-1, 1]."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if pcm16:
        sf.write(path, np.clip(wave, -1.0, 1.0), sample_rate, subtype="PCM_16")
    else:
        sf.write(path, wave.astype(np.float32), sample_rate, subtype="FLOAT")


def process(path: Path, stem: str, run: LoadedRun, out: Path, batch_size: int,
            result: FileResult, pcm16: bool = False) -> None:
    """Reconstruct one file into ``out`` and fill ``result`` (raises on a failure)."""
    x, sr, channels, result.truncated = read_mono(path)
    result.sample_rate, result.channels, result.duration_s = sr, channels, len(x) / sr
    ref = torch.from_numpy(resample(x, sr, run.sample_rate).copy())  # float64
    rec = run.reconstructor
    device = next(rec.model.parameters()).device

    def model(clips: Tensor) -> Tensor:
        out_: Tensor = rec.reconstruct(clips.float().to(device)).cpu()
        return out_

    est = overlap_add(ref, run.clip, model, batch_size)
    if not bool(torch.isfinite(est).all()):
        raise InputError("the model's output holds NaN or Inf")
    write_wav(out / f"{stem}.ref.wav", ref.numpy(), run.sample_rate, pcm16)
    write_wav(out / f"{stem}.recon.wav", est.numpy(), run.sample_rate, pcm16)  # kept, whatever
    result.metrics = clip_metrics(ref, est, run.sample_rate)  # the metrics say next


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return text if isinstance(err, InputError) else f"{type(err).__name__}: {text}"


def _finite(v: float) -> float | None:
    return v if math.isfinite(v) else None


def write_reports(results: list[FileResult], run: LoadedRun, out: Path,
                  pcm16: bool = False) -> dict[str, Any]:
    """``metrics.csv`` and ``summary.json`` (returned)."""
    with (out / "metrics.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["file", "sample_rate", "duration_s", *METRICS, "failed_metrics", "channels",
                    "status", "error"])
        for r in results:
            values = r.metrics.values if r.metrics else {}
            w.writerow([r.file, r.sample_rate or "",
                        "" if r.duration_s is None else f"{r.duration_s:.6f}",
                        *(f"{values[m]:.6g}" if m in values else "" for m in METRICS),
                        ";".join(r.metrics.failures) if r.metrics else "", r.channels or "",
                        "failed" if r.error else "truncated" if r.truncated else "ok",
                        r.error or r.truncated])
    ok = [r.metrics for r in results if r.metrics is not None and not r.error]
    means = {k.split("/", 1)[1]: v for k, v in summarize(ok, "m").items()}
    summary = {
        "run_id": run.run_id, "run_name": run.run_name, "tracking_uri": redact(run.uri),
        "model_sample_rate": run.sample_rate,
        "representation": run.reconstructor.representation,
        "phase": run.reconstructor.default_phase(),
        "chunking": {"clip_samples": run.clip, "hop_samples": run.clip // 2,
                     "crossfade": "periodic hann, normalized by the summed weights"},
        "resampler": "soxr_vhq", "wav_format": "PCM_16, clipped" if pcm16 else "FLOAT",
        "files": len(results), "files_ok": len(ok), "files_failed": len(results) - len(ok),
        "metrics": {k: _finite(v) for k, v in means.items()},
        "failed": [{"file": r.file, "reason": r.error} for r in results if r.error],
        "truncated": [{"file": r.file, "reason": r.truncated} for r in results
                      if r.truncated and not r.error],
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


# -- the command -------------------------------------------------------------------------------
def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m lab.reconstruct", epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Reconstruct WAV files (any rate, length, channels: mixed to mono and\n"
                    "resampled to the model's rate) with a finished run's model. Writes the\n"
                    "reconstructions (<stem>.recon.wav), the resampled references\n"
                    "(<stem>.ref.wav), metrics.csv and summary.json. Long files are\n"
                    "reconstructed in 1 s clips with 50% overlap and a Hann cross-fade.")
    ap.add_argument("input", type=Path, help="a WAV file, or a folder (searched recursively)")
    ap.add_argument("--run", required=True, help="MLflow run id, or run name (the latest "
                    "FINISHED run of that name)")
    ap.add_argument("--out", required=True, type=Path, metavar="DIR", help="output folder")
    store = ap.add_mutually_exclusive_group()
    store.add_argument("--runs-dir", default="runs", metavar="DIR",
                       help="folder of the embedded store DIR/mlflow.db (default: runs)")
    store.add_argument("--tracking-uri", default=None, metavar="URI",
                       help="MLflow server, http://HOST:PORT")
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                    help="where the model runs (default: cpu)")
    ap.add_argument("--batch-size", type=int, default=16, metavar="N",
                    help="clips per model call (default: 16)")
    ap.add_argument("--pcm16", action="store_true", help="write 16-bit PCM WAVs (clipped to "
                    "[-1, 1]) instead of 32-bit float")
    ap.add_argument("--no-progress", action="store_true", help="no progress bar")
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # ours is enough
    try:
        if args.batch_size < 1:
            raise UsageError("--batch-size must be >= 1")
        files = find_wavs(args.input, args.out)
        uri = store_uri(args.runs_dir, args.tracking_uri)
        run = load_run(args.run, uri, args.device)
        try:
            args.out.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise UsageError(f"cannot create the output folder {args.out}: {err}") from None
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for note in run.notes:
        print(f"note: {note}", file=sys.stderr)
    root = args.input if args.input.is_dir() else args.input.parent
    results: list[FileResult] = []
    for path, stem in progress(files, desc="reconstruct", unit="file",
                               disable=args.no_progress, file=sys.stderr):
        result = FileResult(path.relative_to(root).as_posix())
        try:
            process(path, stem, run, args.out, args.batch_size, result, args.pcm16)
        except Exception as err:  # a bad file is reported and counted, never fatal
            result.error = _one_line(err)
            tqdm.write(f"failed: {result.file}: {result.error}", file=sys.stderr)
        if result.truncated and not result.error:
            tqdm.write(f"truncated: {result.file}: {result.truncated}; reconstructed from the "
                       f"samples it holds", file=sys.stderr)
        results.append(result)
    summary = write_reports(results, run, args.out, args.pcm16)
    m = summary["metrics"]
    print(f"reconstructed {summary['files_ok']} of {len(results)} files with run "
          f"{run.run_name} ({run.run_id}) into {args.out}; {summary['files_failed']} failed; "
          f"PESQ failed on {m['pesq_failures']:.0f}, STOI on {m['stoi_failures']:.0f}; "
          f"mean SI-SDR {'n/a' if m['si_sdr'] is None else format(m['si_sdr'], '.2f')} dB")
    return 1 if summary["files_failed"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
