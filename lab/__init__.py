"""lab: what every run shares.

Now: :mod:`lab.features` (representations and inverses), :mod:`lab.dataset` (a corpus split
over its manifest), :mod:`lab.normalization` (training-split statistics), :mod:`lab.cache`
(the feature cache) and :mod:`lab.loader` (batches on the training device). Training, metrics,
tracking and sweeps come with the models and experiments issues.
"""
