"""Codebook size K (bitrate) against reconstruction quality, complex and real (the
parameter-matched twin; quick: complex only): rate/nominal_bps = latent vectors per second x
log2 K.
"""

from __future__ import annotations

from lab.cli import ablation_main

DOMAINS = {"complex": ["model.domain=complex", "features.representation=stft"],
           "real": ["model.twin=params", "features.representation=planar"]}
SIZES = {"smoke": [16, 64], "quick": [16, 256, 4096],
         "paper": [16, 32, 64, 128, 256, 512, 1024, 2048, 4096]}


def grid(profile: str) -> list[list[str]]:
    domains = [DOMAINS["complex"]] if profile == "quick" else list(DOMAINS.values())
    return [[*domain, "model.bottleneck=vq", f"vq.codebook_size={k}"]
            for domain in domains for k in SIZES[profile]]


if __name__ == "__main__":
    raise SystemExit(ablation_main("codebook_size", __doc__, grid))
