"""Bundled data files (see README.md here for provenance and licences)."""
