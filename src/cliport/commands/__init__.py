"""One module per ``cliport`` subcommand: argument parsing and wiring only."""
