"""The same test clip, original and reconstructed by each variant, side by side.

Runs log their first test clips as ``examples/<i>_reference.wav`` and ``examples/<i>_recon.wav``
(the test split's order is fixed, so example ``i`` is the same clip in every run of an ablation;
checked here: references that differ are not shown side by side). Spectrograms are librosa's
log-magnitude STFT (n_fft 512, hop 128) with one colour scale for the whole figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import librosa
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import soundfile as sf

from analysis.artifacts import Artifacts
from analysis.figures import save
from analysis.figures.labels import variant_labels
from analysis.select import Resolved

Examples = tuple[Path | None, dict[str, Path]]


@dataclass(frozen=True)
class Example:
    """A variant's reconstruction of one example clip: the run that made it and the WAV."""

    variant: str
    run: pd.Series
    path: Path


def same_clip(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two reference waveforms are the same clip (to 16-bit rounding)."""
    return a.shape == b.shape and bool(np.allclose(a, b, atol=1e-4))


def example_runs(res: Resolved, artifacts: Artifacts, index: int = 0
                 ) -> tuple[Path | None, list[Example]]:
    """The reference WAV of example ``index`` and, per variant (in variant order), its lowest
    seed's run that logged that clip (references that differ from the first are another clip:
    skipped)."""
    reference: Path | None = None
    ref_wave: np.ndarray | None = None
    found: list[Example] = []
    for variant, rows in res.finished.groupby("variant", sort=False):
        for _, run in rows.sort_values("seed").iterrows():
            rec = artifacts.path(run, f"examples/{index}_recon.wav")
            ref = artifacts.path(run, f"examples/{index}_reference.wav")
            if rec is None or ref is None:
                continue
            if ref_wave is None:
                reference, ref_wave = ref, sf.read(ref)[0]
            elif not same_clip(sf.read(ref)[0], ref_wave):
                continue  # another clip: not comparable side by side
            found.append(Example(str(variant), run, rec))
            break
    return reference, found


def example_files(res: Resolved, artifacts: Artifacts, index: int = 0) -> Examples:
    """The reference WAV and each variant's reconstruction of example ``index`` (the variant's
    lowest seed that has it), keyed by the variant's label (:func:`.labels.variant_labels`:
    ``real`` in front of a real twin whose name does not say so)."""
    reference, found = example_runs(res, artifacts, index)
    names = variant_labels(res)
    return reference, {names.get(e.variant, e.variant): e.path for e in found}


def _db(path: Path) -> tuple[np.ndarray, int]:
    wave, sr = sf.read(path, dtype="float64")
    spec = np.abs(librosa.stft(wave, n_fft=512, hop_length=128))
    return librosa.amplitude_to_db(spec, ref=1.0, top_db=None), int(sr)


def spectrogram_grid(examples: Examples, path: Path) -> list[Path]:
    """``examples`` from :func:`example_files`: the original and each reconstruction."""
    reference, recons = examples
    if reference is None:
        return []
    panels = [("original", reference), *recons.items()]
    specs = [(title, *_db(p)) for title, p in panels]
    top = max(float(s.max()) for _, s, _ in specs)
    cols = min(4, len(specs))
    rows = -(-len(specs) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.4 * rows), squeeze=False,
                             sharex=True, sharey=True)
    image = None
    for ax, (title, db, sr) in zip(axes.flat, specs, strict=False):
        image = ax.imshow(db, origin="lower", aspect="auto", vmin=top - 80, vmax=top,
                          cmap="magma", extent=(0.0, db.shape[1] * 128 / sr, 0.0, sr / 2000))
        ax.set_title(title, fontsize=7)
        ax.grid(False)
    for ax in axes.flat[len(specs):]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel("frequency [kHz]")
    for ax in axes[-1, :]:
        ax.set_xlabel("time [s]")
    if image is not None:
        fig.colorbar(image, ax=axes.ravel().tolist(), label="STFT magnitude [dB]", shrink=0.8)
    return [save(fig, path, "constrained")]
