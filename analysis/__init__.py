"""analysis: tracking store -> tidy pandas frame -> tables, figures and reports.

Nothing here yet: the analysis issue fills it.
"""
