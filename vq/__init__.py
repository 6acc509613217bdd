"""vq: bottlenecks (none / VAE / VQ) and spectrogram autoencoders, real and complex.

Nothing here yet: the models issue fills it. Imports torch and cvnn only (DESIGN 3.1).
"""
