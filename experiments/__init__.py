"""experiments: one short declarative script per ablation (a grid of config deltas x seeds).

``real_vs_complex``, ``vae_vs_vqvae``, ``codebook_size``, ``seed_reproduction``, and the
``codec_baselines`` (Opus, Codec2: no training). Each runs with
``python -m experiments.<name> --help`` and shares :mod:`lab.cli`'s options.
"""
