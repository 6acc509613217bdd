"""Files a run leaves behind: reconstructed examples (WAV and spectrogram figures), the model,
the normalization statistics and the resolved config.

Layout under the run's artifact folder: ``examples/<i>_reference.wav``, ``examples/<i>_recon.wav``,
``examples/<i>.png`` (log-magnitude spectrograms, reference above reconstruction),
``model/model.pt`` (``{"config": AutoencoderConfig as dict, "state_dict": ...}``),
``model/normalizer.json``, ``config.json`` (the resolved :class:`~lab.config.RunConfig`).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import torch
from torch import Tensor

from lab.checkpoint import safe_load
from lab.normalization import Normalizer
from vq.autoencoder import AutoencoderConfig, SpectrogramAutoencoder


def write_examples(examples: list[tuple[Tensor, Tensor]], folder: Path,
                   sample_rate: int) -> list[Path]:
    """WAV files and one figure per ``(reference, estimate)`` pair; the paths written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    out: list[Path] = []
    window = torch.hann_window(512, dtype=torch.float64)
    for i, (ref, est) in enumerate(examples):
        for name, wave in (("reference", ref), ("recon", est)):
            path = folder / f"{i}_{name}.wav"
            sf.write(path, np.clip(wave.double().numpy(), -1.0, 1.0), sample_rate,
                     subtype="PCM_16")
            out.append(path)
        fig, axes = plt.subplots(2, 1, figsize=(6, 5), sharex=True)
        for ax, (title, wave) in zip(axes, (("reference", ref), ("reconstruction", est)),
                                     strict=True):
            spec = torch.stft(wave.double(), 512, 128, window=window, return_complex=True)
            db = 20 * torch.log10(spec.abs() + 1e-6)
            ax.imshow(db.numpy(), origin="lower", aspect="auto", vmin=float(db.max()) - 80,
                      extent=(0.0, len(wave) / sample_rate, 0.0, sample_rate / 2000))
            ax.set_title(title)
            ax.set_ylabel("kHz")
        axes[-1].set_xlabel("s")
        fig.tight_layout()
        path = folder / f"{i}.png"
        fig.savefig(path, dpi=80)
        plt.close(fig)
        out.append(path)
    return out


def save_model(model: SpectrogramAutoencoder, normalizer: Normalizer, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    torch.save({"config": asdict(model.config), "state_dict": model.state_dict()},
               folder / "model.pt")
    (folder / "normalizer.json").write_text(json.dumps(normalizer.state_dict()) + "\n")


def load_model(folder: Path) -> tuple[SpectrogramAutoencoder, Normalizer]:
    """Inverse of :func:`save_model` (for re-evaluating a finished run).

    Read with :func:`lab.checkpoint.safe_load`: the file holds only plain containers and
    tensors, and a ``model.pt`` whose pickle would import or call anything else (code) is
    refused with :class:`lab.checkpoint.UnsafeFileError` before it runs.
    """
    blob: dict[str, Any] = safe_load(folder / "model.pt")
    model = SpectrogramAutoencoder(AutoencoderConfig.from_dict(blob["config"]))
    model.load_state_dict(blob["state_dict"])
    normalizer = Normalizer.from_state_dict(json.loads((folder / "normalizer.json").read_text()))
    return model, normalizer
