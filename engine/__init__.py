"""sayso's pure engine: load, validate, compile and decide; workflow, store and audit.

Imports neither Flask nor click.
"""
