"""The exercise stubs handed to students: one file per exercise, each runnable on its own.

``python -m minitwophase.exercises start DIR`` copies them into DIR; running a copy
(``python adam_step.py``, from any directory) checks it and prints the report.
"""
