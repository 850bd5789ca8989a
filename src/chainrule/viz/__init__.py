"""Pictures: matplotlib figures and graphviz drawings."""
