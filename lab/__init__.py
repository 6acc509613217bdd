"""lab: what every run shares.

Now: :mod:`lab.features` (representations and inverses), :mod:`lab.dataset` (a corpus split
over its manifest), :mod:`lab.normalization` (training-split statistics). Training, metrics,
tracking and sweeps come with the models and experiments issues.
"""
