"""vq: bottlenecks (none / VAE / VQ, real and complex) behind one interface.

Now: :mod:`vq.base` (the interface, no bottleneck), :mod:`vq.quantizer` (EMA vector
quantization), :mod:`vq.complex_quantizer`, :mod:`vq.vae` (real and circular complex Gaussian).
The spectrogram autoencoders and real twins come next. Imports torch and cvnn only (DESIGN 3.1).
"""
