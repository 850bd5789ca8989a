"""The explorer as a static folder: its pages, with chainrule itself answering them in the browser (Pyodide).

``answers`` answers the pages' API requests with the library calls ``chainrule
serve`` makes, without HTTP; ``build`` writes the folder (``chainrule site``).
"""
