"""Plain autoencoder vs VAE vs VQ-VAE, complex and real (the parameter-matched twin), at matched
rate: the VAE's beta is swept so that its KL rate (rate/kl_bps) brackets the VQ's bitrate
(rate/nominal_bps, rate/entropy_bps); analysis compares them at equal rate. The quick profile
keeps the complex models only.
"""

from __future__ import annotations

from lab.cli import ablation_main

DOMAINS = {"complex": ["model.domain=complex", "features.representation=stft"],
           "real": ["model.twin=params", "features.representation=planar"]}
# KL rates ~14 and ~5 kbit/s bracket VQ-256's 8
BETAS = {"smoke": ["0.1"], "quick": ["1", "3"], "reference": ["1", "3"],
         "paper": ["0.1", "0.3", "1", "3", "10", "30"]}


def grid(profile: str) -> list[list[str]]:
    out: list[list[str]] = []
    domains = [DOMAINS["complex"]] if profile in ("quick", "reference") else list(DOMAINS.values())
    for domain in domains:
        out.append([*domain, "model.bottleneck=none"])
        out.append([*domain, "model.bottleneck=vq"])
        out += [[*domain, "model.bottleneck=vae", f"vae.beta={b}"] for b in BETAS[profile]]
    return out


if __name__ == "__main__":
    raise SystemExit(ablation_main("vae_vs_vqvae", __doc__, grid))
