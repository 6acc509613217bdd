"""data_scripts: commands that make datasets on disk.

``python -m data_scripts.make_commands`` (offline synthetic corpus) and
``python -m data_scripts.prepare_speech_commands`` (the real Speech Commands) write the same
layout and manifest (:mod:`data_scripts.manifest`).
"""
