"""Command line: ``python -m sklearn_bc demo`` and ``python -m sklearn_bc compare``."""

from __future__ import annotations

import argparse
import sys


def main(argv=None):
    """Run the command line interface."""
    parser = argparse.ArgumentParser(prog="python -m sklearn_bc")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="end-to-end compatibility analysis on the digits data set"
    )
    demo.add_argument("--output", default="demo-output", help="output folder")
    demo.add_argument("--max-epochs", type=int, default=40)
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--cv", type=int, default=3, help="folds of the sweep")
    demo.add_argument(
        "--min-btc", type=float, default=0.965, help="BTC floor of the selection"
    )
    demo.add_argument("--n-jobs", type=int, default=None, help="parallel fits")
    demo.add_argument("--progress", action="store_true", help="show a progress bar")
    demo.add_argument(
        "--engine",
        choices=("vectorised", "gridsearch"),
        default="vectorised",
        help="train all sweep points at once, or one by one with GridSearchCV",
    )
    from ._compare import add_parser as add_compare_parser

    add_compare_parser(commands)
    args = parser.parse_args(argv)
    if args.command == "compare":
        return args.run(args)
    from .demo import run_demo

    run_demo(
        args.output,
        max_epochs=args.max_epochs,
        random_state=args.seed,
        cv=args.cv,
        min_btc=args.min_btc,
        n_jobs=args.n_jobs,
        progress=args.progress,
        engine=args.engine,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
