"""data_scripts: commands that make datasets on disk.

Nothing here yet: the data issue fills it.
"""
