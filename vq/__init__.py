"""vq: bottlenecks (none / VAE / VQ / RVQ, real and complex) and spectrogram autoencoders.

Modules: :mod:`vq.base` (the interface and spec, no bottleneck, the planar complex wrapper),
:mod:`vq.registry` (the bottlenecks by name), :mod:`vq.quantizer` (EMA vector quantization),
:mod:`vq.complex_quantizer`, :mod:`vq.residual` (residual VQ), :mod:`vq.vae` (real and circular
complex Gaussian),
:mod:`vq.autoencoder` (real and complex models of one topology, ``frames`` from :mod:`vq.frames`
or ``conv2d``), :mod:`vq.twins` (fair real twins) and :mod:`vq.presets` (the seed's VQ-VAE).
Imports torch and cvnn only (README.md, "Layout"); the guide is docs/vq.md.
"""
