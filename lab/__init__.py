"""lab: what every run shares (config, data and features, training, metrics, tracking, sweeps).

Nothing here yet: the data, models and experiments issues fill it.
"""
