"""experiments: one short script per ablation.

Nothing here yet: the experiments issue fills it.
"""
