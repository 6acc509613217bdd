"""Plain autoencoder vs VAE vs VQ-VAE, complex and real (the parameter-matched twin), at matched
rate: the VAE's beta is swept so that its KL rate (rate/kl_bps) brackets the VQ's bitrate
(rate/nominal_bps, rate/entropy_bps); analysis compares them at equal rate. The quick profile
keeps the complex models only. The reference profile matches the rate by construction: beta 3
with 8 free bits per latent vector (vq.vae: the first 8 bits cost nothing, each nat above them
costs 3), so the KL settles at the VQ-256's 8 bits per vector (8 kbit/s); beta 1 alone sits near
6.5 kbit/s and beta 3 alone near 1.9 (quick profile, measured).
"""

from __future__ import annotations

from lab.cli import ablation_main

DOMAINS = {"complex": ["model.domain=complex", "features.representation=stft"],
           "real": ["model.twin=params", "features.representation=planar"]}
# each VAE of a profile: its vae.* overrides (quick: KL rates ~6.5 and ~1.9 kbit/s)
BETAS: dict[str, list[list[str]]] = {
    "smoke": [["vae.beta=0.1"]], "quick": [["vae.beta=1"], ["vae.beta=3"]],
    "reference": [["vae.beta=1"], ["vae.beta=3", "vae.free_bits=8"]],
    "paper": [[f"vae.beta={b}"] for b in ("0.1", "0.3", "1", "3", "10", "30")]}


def grid(profile: str) -> list[list[str]]:
    out: list[list[str]] = []
    domains = [DOMAINS["complex"]] if profile in ("quick", "reference") else list(DOMAINS.values())
    for domain in domains:
        out.append([*domain, "model.bottleneck=none"])
        out.append([*domain, "model.bottleneck=vq"])
        out += [[*domain, "model.bottleneck=vae", *vae] for vae in BETAS[profile]]
    return out


if __name__ == "__main__":
    raise SystemExit(ablation_main("vae_vs_vqvae", __doc__, grid))
