"""One module per ``chainrule`` subcommand (see ``chainrule.cli``)."""
