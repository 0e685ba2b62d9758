"""``python -m analysis COMMAND ...``: the command line analysts script against.

Each command lives in the module that owns its work; this file only routes.
A command module provides ``configure_<name>(parser)`` and ``run_<name>(args)``
(returning an exit status). Modules are imported only when their command runs,
so ``validate`` does not pay for matplotlib.

Every :class:`~analysis.errors.AnalysisError` (and every argument error) is
printed as one line on stderr with exit status 2; no traceback.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from analysis.errors import AnalysisError, ParameterError

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("analysis.data", "validate the whole data package"),
    "scenario": ("analysis.scenarios", "one season of the Tianfu contract under a preset and overrides"),
    "sensitivity": ("analysis.scenarios", "one-at-a-time sensitivity over each assumption's low-high"),
    "montecarlo": ("analysis.scenarios", "seeded Monte Carlo over the assumptions' distributions"),
    "figures": ("analysis.figures", "export figures (PNG/SVG/PDF, English or Chinese)"),
    "tables": ("analysis.tables", "write the publication tables (HTML and CSV)"),
    "site": ("analysis.site", "build the site: Quarto where available, else the offline preview"),
}


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line and exit status 2."""

    def error(self, message: str):  # noqa: D102 - argparse API
        raise ParameterError(f"{self.prog}: {message}")


def _top_parser() -> argparse.ArgumentParser:
    lines = [f"  {name:<12} {help_}" for name, (_, help_) in COMMANDS.items()]
    return OneLineParser(
        prog="python -m analysis",
        description="Dasuhe case study report tools.",
        epilog="commands:\n" + "\n".join(lines) + "\n\nRun 'python -m analysis COMMAND --help' for its options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if not argv or argv[0] in {"-h", "--help"}:
            _top_parser().print_help()
            return 0 if argv else 2
        name, rest = argv[0], argv[1:]
        if name not in COMMANDS:
            raise ParameterError(
                f"unknown command {name!r}: choose one of {', '.join(COMMANDS)}"
            )
        module = importlib.import_module(COMMANDS[name][0])
        parser = OneLineParser(prog=f"python -m analysis {name}", description=COMMANDS[name][1])
        getattr(module, f"configure_{name}")(parser)
        args = parser.parse_args(rest)
        return int(getattr(module, f"run_{name}")(args) or 0)
    except AnalysisError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_status
    except BrokenPipeError:
        # Output piped into `head` and the like: stop quietly, as Unix tools do.
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
