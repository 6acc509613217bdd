"""Console scripts of cvq-audio (``[project.scripts]`` in ``pyproject.toml``).

The wheel installs the reusable libraries :mod:`cvnn` and :mod:`vq` and this small launcher
package; the research stack (``lab``, ``experiments``, ``analysis``, ``data_scripts``) is not
installed into site-packages (its names are generic) but runs from a checkout of the
repository. Each command finds that checkout (:func:`cvq_audio.commands.checkout`) and runs the
module's ``main`` from it: ``cvq-run``, ``cvq-experiment``, ``cvq-report``, ``cvq-data``,
``cvq-reconstruct``.
"""
