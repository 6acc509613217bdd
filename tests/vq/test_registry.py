"""The bottleneck registry: every spec builds real and complex modules that honour the
interface (latent shape, rate, codebook sizes); sections hold every key of their configs."""

from __future__ import annotations

import math

import pytest
import torch

from vq.base import BottleneckOutput
from vq.quantizer import VQConfig
from vq.registry import BOTTLENECKS, section_config, spec
from vq.residual import RVQConfig
from vq.vae import VAEConfig


@pytest.mark.parametrize("name", list(BOTTLENECKS))
@pytest.mark.parametrize("domain", ["real", "complex"])
def test_every_spec_builds_both_domains(name: str, domain: str) -> None:
    s = spec(name)
    if (name, domain) == ("polar_fsq", "real"):  # magnitude and phase: complex only
        with pytest.raises(ValueError, match=r"needs model\.domain=complex"):
            s.build(domain, 3)
        return
    module = s.build(domain, 3).eval()
    dtype = torch.complex64 if domain == "complex" else torch.float32
    z = torch.randn(2, 3 * s.input_factor, 4, 5, dtype=dtype)
    out = module(z)
    assert isinstance(out, BottleneckOutput)
    assert out.latent.shape == (2, 3, 4, 5) and out.latent.dtype == dtype
    if out.codes is None:
        assert out.codebook_sizes == ()
    else:
        want = (2, 4, 5) if len(out.codebook_sizes) == 1 else (2, len(out.codebook_sizes), 4, 5)
        assert tuple(out.codes.shape) == want
        assert out.rate is not None and out.rate.kind == "nominal"
        assert out.rate.bits == pytest.approx(sum(math.log2(k) for k in out.codebook_sizes))
    assert (out.rate is None) == (name == "none")
    assert s.label(s.config()) and s.describe(s.config())


def test_sections_and_lookup() -> None:
    assert section_config("vq") is RVQConfig and issubclass(RVQConfig, VQConfig)
    assert section_config("vae") is VAEConfig
    assert spec("rvq").label(RVQConfig(codebook_size=64, codebooks=4)) == "rvq4x64"
    assert spec("vq").label(VQConfig(codebook_size=256)) == "vq256"
    with pytest.raises(ValueError, match="one of none, vae, vq, rvq, fsq, polar_fsq"):
        spec("gumbel")
    with pytest.raises(TypeError, match="takes a VQConfig"):
        spec("vq").build("real", 2, VAEConfig())
