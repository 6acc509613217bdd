"""lab.memory: the estimate allocates nothing and matches the model it describes; a run that
cannot fit is refused before anything exists (one line, exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from lab.build import feature_size, model_config
from lab.config import ConfigError, RunConfig, apply_overrides
from lab.memory import _Allocations, _Shapes, check_fits, estimate
from lab.profiles import PROFILES
from vq.autoencoder import SpectrogramAutoencoder, parameter_count
from vq.registry import spec

QUICK = [*PROFILES["quick"].overrides, "device=cpu"]


@pytest.mark.parametrize("extra", [[], ["model.twin=params", "features.representation=planar"],
                                   ["model.bottleneck=vae"], ["model.bottleneck=none"]])
def test_the_estimate_is_the_model_it_describes(extra: list[str]) -> None:
    config = apply_overrides(RunConfig(), [*QUICK, *extra, "optim.batch_size=2"])
    est = estimate(config)
    torch.manual_seed(0)
    model = SpectrogramAutoencoder(model_config(config))
    assert est.params == parameter_count(model)
    assert est.state_bytes == 4 * sum(p.numel() * p.element_size() for p in model.parameters())
    # the meta pass creates exactly the tensors a real forward creates, the bottleneck's own
    # aside (stood in for by the latent's slice; a plain autoencoder has none)
    f, t = feature_size(config)
    complex_in = config.model.twin == "none"
    x = (torch.randn(2, 1, f, t, dtype=torch.complex64) if complex_in
         else torch.randn(2, 2, f, t))
    model.bottleneck = _Shapes(spec(config.model.bottleneck).input_factor)
    with _Allocations() as real:
        model.train()(x)
    assert est.activation_bytes == real.total
    assert est.total_bytes == est.state_bytes + est.activation_bytes


def test_the_activations_grow_linearly_with_the_batch() -> None:
    """A fixed part (the weights' per-pass forms) plus the same bytes per clip."""
    e1, e2, e4 = (estimate(apply_overrides(RunConfig(), [*QUICK, f"optim.batch_size={b}"]))
                  for b in (1, 2, 4))
    assert e1.state_bytes == e2.state_bytes == e4.state_bytes
    per_clip = e2.activation_bytes - e1.activation_bytes
    assert per_clip > 0
    assert e4.activation_bytes - e2.activation_bytes == 2 * per_clip


@pytest.mark.faults
def test_a_model_that_cannot_fit_is_refused_before_anything_exists(
        corpus: Path, cache_dir: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    huge = apply_overrides(RunConfig(), [*QUICK, "model.width=100000"])
    with pytest.raises(ConfigError, match=r"needs about \d+\.\d GB to train .* lower model.width"):
        check_fits(huge)
    check_fits(apply_overrides(RunConfig(), QUICK))  # the quick profile fits
    from lab.run import main

    runs = tmp_path / "runs"
    assert main(["--profile", "smoke", "--data", str(corpus), "--runs-dir", str(runs),
                 f"data.cache_dir={cache_dir}", "model.width=100000"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: this run needs about"), err
    assert not runs.exists()
