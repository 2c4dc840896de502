"""Experiments: comparisons of methods and what is made of them. Layer: applications, above
training/ and models.py, below verification/ and cli/.

  experiment.py  ``Experiment`` (one shared configuration, methods x seeds) and ``run_experiment``
  report.py      the tables at equal epochs and at equal cost, results.json, history.csv, summary.md
  plotting.py    the figures (Fig. 5 and Fig. 6 analogues, accuracy); imported only when drawing
  protocols/     the paper's Table 1 protocols as data (laptop, vit, ...), one engine (table.py)
                 that runs them serially or on an executor (runs.py), and the granularity study

Nothing is imported here, so ``import minitwophase.experiments.report`` loads no matplotlib.
"""
