"""Explanations generated from the graph: formulas, paths, derivations."""
