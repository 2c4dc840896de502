"""Experiments: comparisons of methods and what is made of them. Layer: applications, above
training/ and models.py, below verification/ and cli/.

  experiment.py  ``Experiment`` (one shared configuration, methods x seeds) and ``run_experiment``
  report.py      the tables at equal epochs and at equal cost, results.json, history.csv, summary.md
  plotting.py    the figures (Fig. 5 and Fig. 6 analogues, accuracy); imported only when drawing
  reproduce.py   the paper's Table 1 protocol at laptop scale (a new experiment cell: ``CELLS``)

Nothing is imported here, so ``import minitwophase.experiments.report`` loads no matplotlib.
"""
