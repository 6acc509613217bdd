"""vq: bottlenecks (none / VAE / VQ, real and complex) and spectrogram autoencoders.

Now: :mod:`vq.base` (the interface, no bottleneck), :mod:`vq.quantizer` (EMA vector
quantization), :mod:`vq.complex_quantizer`, :mod:`vq.vae` (real and circular complex Gaussian),
:mod:`vq.autoencoder` (real and complex models of one topology) and :mod:`vq.twins` (fair real
twins). Imports torch and cvnn only (DESIGN 3.1).
"""
