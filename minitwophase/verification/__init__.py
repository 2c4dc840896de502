"""Verification traces: record a fixed-seed run step by step (trace.py) and name the first step
where two traces part (compare.py). Layer: applications, above experiments/ (a trace loads
its data and model as an experiment does), below cli/."""
