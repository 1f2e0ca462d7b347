"""One module per `dh` subcommand."""
