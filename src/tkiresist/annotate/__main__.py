"""``python -m tkiresist.annotate ...``: the annotate command on its own (the same options as
``tkiresist annotate``), for when the CLI does not mount it."""

from __future__ import annotations

import typer

from tkiresist.annotate.command import annotate_command


def main() -> None:
    typer.run(annotate_command)


if __name__ == "__main__":
    main()
