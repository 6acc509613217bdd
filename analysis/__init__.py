"""analysis: tracked runs -> one tidy pandas frame -> tables, figures and an HTML report.

* :mod:`analysis.runs`: the frame's schema (:class:`Runs`), whatever the source;
* :mod:`analysis.mlflow_source`, :mod:`analysis.wandb_source`: the sources;
* :mod:`analysis.select`: an ablation's runs, same-key runs resolved (latest FINISHED wins),
  variants and seeds;
* :mod:`analysis.stats`, :mod:`analysis.tables`, :mod:`analysis.render`: paper tables
  (t-intervals, paired tests Holm-corrected); :mod:`analysis.describe`: what was trained, in
  words; :mod:`analysis.verdict`: a verdict per research question;
* :mod:`analysis.figures`: seaborn figures; :mod:`analysis.report`: ``python -m analysis.report``.

It relies only on the documented metric and param names (docs/metrics.md), so runs
logged by hand with the MLflow API are read the same way as runs logged by :mod:`lab`.
"""
