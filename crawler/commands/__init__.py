"""One module per `newsdesk` subcommand: add_parser(subparsers) and run(args) -> exit code."""
