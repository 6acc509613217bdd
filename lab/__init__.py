"""lab: what every run shares.

Now: :mod:`lab.features` (representations and inverses), :mod:`lab.dataset` (a corpus split
over its manifest), :mod:`lab.normalization` (training-split statistics), :mod:`lab.cache`
(the feature cache). Training, metrics, tracking and sweeps come with the models and
experiments issues.
"""
