"""Codebook size K (bitrate) against reconstruction quality, complex and real (the
parameter-matched twin; quick and reference: complex only): rate/nominal_bps = latent vectors per
second x log2 K. The smoke, reference and paper profiles add residual VQ
(``model.bottleneck=rvq``, N codebooks of K codes: N log2 K bits per vector) at bitrates matched
to plain VQ: 12 bits as K = 4096, 64 x 64, 16 x 16 x 16 or 8^4; 8 bits as K = 256, 16 x 16 or
4^4 (reference: 16 x 16; smoke: 6 bits, 8 x 8 against K = 64).
"""

from __future__ import annotations

from lab.cli import ablation_main

DOMAINS = {"complex": ["model.domain=complex", "features.representation=stft"],
           "real": ["model.twin=params", "features.representation=planar"]}
SIZES = {"smoke": [16, 64], "quick": [16, 256, 4096], "reference": [16, 256, 4096],
         "paper": [16, 32, 64, 128, 256, 512, 1024, 2048, 4096]}
# (K, N) of the residual quantizers, each at the bitrate of a plain K^N above
RESIDUAL = {"smoke": [(8, 2)], "quick": [], "reference": [(16, 2)],
            "paper": [(64, 2), (16, 3), (8, 4), (16, 2), (4, 4)]}


def grid(profile: str) -> list[list[str]]:
    domains = [DOMAINS["complex"]] if profile in ("quick", "reference") else list(DOMAINS.values())
    plain = [[*domain, "model.bottleneck=vq", f"vq.codebook_size={k}"]
             for domain in domains for k in SIZES[profile]]
    residual = [[*domain, "model.bottleneck=rvq", f"vq.codebook_size={k}", f"vq.codebooks={n}"]
                for domain in domains for k, n in RESIDUAL[profile]]
    return plain + residual


if __name__ == "__main__":
    raise SystemExit(ablation_main("codebook_size", __doc__, grid))
