"""The listening grid: test clips x (original, each variant, each codec baseline), in the style
of the DAC and EnCodec demo pages, with the bitrate and the clip's SI-SDR and PESQ-WB under
each player.

* **Clips**: the examples the runs log (``examples/<i>_reference.wav`` and ``_recon.wav``,
  :func:`analysis.figures.spectrograms.example_runs`), ``i = 0, 1, ...`` while some run has one.
* **Variants**: each variant's lowest seed that logged the clip.
* **Codecs**: each run of the ``codec_baselines`` ablation. Codec runs log no example audio
  (:mod:`lab.baseline` writes metrics only); where a codec run has
  ``examples/<i>_recon.wav`` of the same clip it is used, else the report codes the original
  clip itself with :func:`lab.codecs.roundtrip` at the run's ``codec.name`` and
  ``codec.setting`` (the function the run used; skipped, and said so, where the codec's tools
  are missing or the setting is not one).
* **Numbers**: runs log means over the test clips only, no per-clip metrics, so the SI-SDR and
  PESQ-WB under a player are computed here from the reference and reconstruction WAV files with
  :func:`lab.metrics.si_sdr` and :func:`lab.metrics.pesq_wb` (the run's own functions, on its
  16-bit files). Bitrate: the run's (VQ nominal, VAE KL, codec measured:
  :func:`analysis.catalog.bitrate`); for
  codecs coded here, measured on that clip. A plain autoencoder has none.
* **Files**: ``audio/clip<i>_original.wav``, ``audio/clip<i>_<variant>_s<seed>.wav``,
  ``audio/clip<i>_<codec>-<setting>.wav`` (e.g. ``clip0_opus-8kbps.wav``).
"""

from __future__ import annotations

import logging
import math
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf
import torch

from analysis.artifacts import Artifacts
from analysis.catalog import bitrate
from analysis.figures.labels import param, variant_labels
from analysis.figures.spectrograms import Example, example_runs, same_clip
from analysis.html_page import esc
from analysis.select import Resolved
from lab.codecs import Codec, CodecMissingError, roundtrip
from lab.metrics import pesq_wb, si_sdr

log = logging.getLogger(__name__)
STICKY = "position:sticky;left:0;background:#fff"  # the clip column stays when scrolled
MAX_CLIPS = 8
METHOD = ("SI-SDR and PESQ-WB of each clip are computed by the report from the reference and "
          "reconstruction WAV files with the project's lab.metrics.si_sdr and lab.metrics.pesq_wb "
          "(runs log means over the test clips only).")


@dataclass(frozen=True)
class Cell:
    """One player: its file (relative to the page's folder) and what is said under it."""

    file: str
    kbps: float | None = None  # None: the original, or a model without a rate
    rate_kind: str = ""  # nominal, KL, measured, "measured on this clip"
    si_sdr: float | None = None
    pesq: float | None = None

    def lines(self) -> list[str]:
        """What is said under the player, e.g. ``["8.00 kbit/s (nominal)", "SI-SDR 6.31 dB",
        "PESQ-WB 2.10"]``; ``["reference"]`` for the original."""
        if not self.rate_kind and self.kbps is None and self.si_sdr is None:
            return ["reference"]
        rate = (f"{self.kbps:.2f} kbit/s ({self.rate_kind})" if self.kbps is not None
                else "no bitrate (continuous latent)")
        sdr = "SI-SDR -" if self.si_sdr is None else f"SI-SDR {self.si_sdr:.2f} dB"
        pq = "PESQ-WB failed" if self.pesq is None else f"PESQ-WB {self.pesq:.2f}"
        return [rate, sdr, pq]


@dataclass(frozen=True)
class Column:
    key: str  # "original", the variant's name, or the codec run's variant
    title: str
    kind: str  # original | model | codec


@dataclass
class Grid:
    """Rows: clips (example indices); columns; ``cells[(clip, column key)]`` where audio exists;
    ``notes``: what is missing and why."""

    clips: list[int] = field(default_factory=list)
    columns: list[Column] = field(default_factory=list)
    cells: dict[tuple[int, str], Cell] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    coded_here: bool = False  # some codec column was coded by the report


def safe(text: str) -> str:
    """A file-name part: letters, digits, ``.``, ``_``, ``-`` and ``=`` kept, runs of anything
    else replaced by ``-``."""
    return re.sub(r"[^A-Za-z0-9_.=-]+", "-", text).strip("-.") or "x"


def setting_text(run: pd.Series) -> str:
    """The run's ``codec.setting`` as lab spells it (``8``, ``3200``, ``700C``)."""
    value = param(run, "codec.setting")
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def codec_name(run: pd.Series) -> str:
    """``opus-8kbps``, ``codec2-3200bps``, ``codec2-700C``: the codec and its setting."""
    name, text = str(param(run, "codec.name")), setting_text(run)
    if name == "opus":
        return f"opus-{text}kbps"
    return f"{name}-{text}bps" if text.isdigit() else f"{name}-{text}"


def codec_title(run: pd.Series) -> str:
    """``opus 8 kbit/s``, ``codec2 mode 3200``: a column's title."""
    name, text = str(param(run, "codec.name")), setting_text(run)
    return f"opus {text} kbit/s" if name == "opus" else f"{name} mode {text}"


def clip_scores(reference: Path, recon: Path) -> tuple[float | None, float | None]:
    """``(SI-SDR dB, PESQ-WB)`` of a reconstruction WAV against its reference WAV (the shorter
    length of the two; PESQ None where it fails on the clip)."""
    ref, sr = sf.read(reference, dtype="float64")
    est, sr2 = sf.read(recon, dtype="float64")
    if sr != sr2:
        return None, None
    n = min(len(ref), len(est))
    ref, est = ref[:n], est[:n]
    sdr = si_sdr(torch.from_numpy(ref), torch.from_numpy(est))
    pq = pesq_wb(ref, est, int(sr)) if sr == 16000 else None
    return (sdr if math.isfinite(sdr) else None), pq


def _rate(run: pd.Series) -> tuple[float | None, str]:
    bps, kind = bitrate(run)
    return (bps / 1000.0, kind) if math.isfinite(bps) else (None, "")


def _clips(res: Resolved, artifacts: Artifacts) -> list[tuple[int, Path, list[Example]]]:
    out: list[tuple[int, Path, list[Example]]] = []
    for i in range(MAX_CLIPS):
        reference, found = example_runs(res, artifacts, i)
        if reference is None:
            break
        out.append((i, reference, found))
    return out


def _logged_codec(run: pd.Series, artifacts: Artifacts, i: int, ref: np.ndarray) -> Path | None:
    rec = artifacts.path(run, f"examples/{i}_recon.wav")
    own = artifacts.path(run, f"examples/{i}_reference.wav")
    if rec is None or own is None or not same_clip(sf.read(own)[0], ref):
        return None
    return rec


def _code(codec: Codec, reference: Path, target: Path) -> float:
    """Codes ``reference`` with :func:`lab.codecs.roundtrip`, writes the decoded clip (16-bit,
    as lab writes examples) to ``target``; the measured kbit/s."""
    wave, sr = sf.read(reference, dtype="float64")
    decoded, bps = roundtrip(wave, int(sr), codec)
    sf.write(target, np.clip(decoded, -1.0, 1.0), int(sr), subtype="PCM_16")
    return bps / 1000.0


def _codec_column(run: pd.Series, clips: list[tuple[int, Path, list[Example]]],
                  artifacts: Artifacts, folder: Path, grid: Grid) -> None:
    name = codec_name(run)
    key = str(run["variant"])
    codec: Codec | None = None
    made = 0
    for i, reference, _ in clips:
        ref = sf.read(reference)[0]
        target = f"audio/clip{i}_{safe(name)}.wav"
        logged = _logged_codec(run, artifacts, i, ref)
        if logged is not None:
            shutil.copyfile(logged, folder / target)
            kbps, kind = _rate(run)
        else:
            try:
                codec = codec or Codec(str(param(run, "codec.name")), setting_text(run))
                kbps, kind = _code(codec, reference, folder / target), "measured on this clip"
            except (CodecMissingError, ValueError, RuntimeError) as err:
                grid.notes.append(f"{name}: not coded here ({err}).")
                log.warning("listening: %s not coded: %s", name, err)
                return
            grid.coded_here = True
        sdr, pq = clip_scores(reference, folder / target)
        grid.cells[(i, key)] = Cell(target, kbps, kind, sdr, pq)
        made += 1
    if made:
        grid.columns.append(Column(key, codec_title(run), "codec"))


def build_grid(res: Resolved, codecs: Resolved | None, artifacts: Artifacts, folder: Path
               ) -> Grid:
    """The grid of ``res``'s example clips, its variants and ``codecs``' runs (none when
    ``codecs`` is ``res`` or ``None``), audio files copied or written under ``folder/audio``."""
    grid = Grid()
    clips = _clips(res, artifacts)
    if not clips:
        return grid
    (folder / "audio").mkdir(parents=True, exist_ok=True)
    grid.columns.append(Column("original", "original", "original"))
    names = variant_labels(res)
    titles: dict[str, str] = {}
    used: set[str] = set()
    for i, reference, found in clips:
        grid.clips.append(i)
        original = f"audio/clip{i}_original.wav"
        shutil.copyfile(reference, folder / original)
        grid.cells[(i, "original")] = Cell(original)
        for example in found:
            variant, run = example.variant, example.run
            seed = int(run["seed"])
            stem = safe(f"{variant}_s{seed}")
            target = f"audio/clip{i}_{stem}.wav"
            if variant not in titles:
                while target in used:  # two variants with one file name
                    stem += "_"
                    target = f"audio/clip{i}_{stem}.wav"
                titles[variant] = f"{names.get(variant, variant)} (seed {seed})"
            used.add(target)
            shutil.copyfile(example.path, folder / target)
            kbps, kind = _rate(run)
            sdr, pq = clip_scores(reference, folder / target)
            grid.cells[(i, variant)] = Cell(target, kbps, kind, sdr, pq)
    grid.columns += [Column(v, titles[v], "model") for v in res.variants if v in titles]
    if codecs is not None and codecs is not res:
        for _, rows in codecs.finished.groupby("variant", sort=False):
            _codec_column(rows.sort_values("seed").iloc[0], clips, artifacts, folder, grid)
    return grid


def _player(src: str) -> str:
    return (f"<audio controls preload=\"metadata\" style=\"width:11em\" "
            f"src=\"{esc(src)}\"></audio>")


def render(grid: Grid) -> str:
    """The grid as an HTML table (scrolls sideways when wide) and what it is made of."""
    head = "".join(f"<th style=\"text-align:center\">{esc(c.title)}</th>"
                   for c in grid.columns)
    rows = []
    for i in grid.clips:
        cells = []
        for c in grid.columns:
            cell = grid.cells.get((i, c.key))
            cells.append("<td>-</td>" if cell is None else
                         f"<td style=\"text-align:center\">{_player(cell.file)}<br><small>"
                         f"{'<br>'.join(esc(t) for t in cell.lines())}</small></td>")
        rows.append(f"<tr><th scope=\"row\" style=\"{STICKY}\">clip {i}</th>"
                    f"{''.join(cells)}</tr>")
    table = (f"<div style=\"overflow-x:auto\"><table><thead><tr><th style=\"{STICKY}\">"
             f"test clip</th>{head}</tr>"
             f"</thead><tbody>{''.join(rows)}</tbody></table></div>")
    how = [METHOD, "Models: the variant's lowest seed; bitrate: nominal (VQ: latent vectors/s x "
           "log2 K) or KL (VAE), the run's; a plain autoencoder has none."]
    if grid.coded_here:
        how.append("Codec columns: these codec runs logged no example audio (logged before "
                   "lab.baseline did), so the report coded each "
                   "original clip with lab.codecs.roundtrip at the run's codec and setting; "
                   "bitrate measured on that clip.")
    how += grid.notes
    return table + "".join(f"<p>{esc(t)}</p>" for t in how)


def section(res: Resolved, codecs: Resolved | None, artifacts: Artifacts, folder: Path) -> str:
    """The page's listening section (:func:`build_grid`, :func:`render`)."""
    grid = build_grid(res, codecs, artifacts, folder)
    if not grid.clips:
        return ("<p>No examples logged (runs log <code>examples/&lt;i&gt;_reference.wav</code> "
                "and <code>examples/&lt;i&gt;_recon.wav</code>, codec baseline runs too).</p>")
    return render(grid)

