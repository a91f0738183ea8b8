"""How the long-running commands log: whole lines in a file, rich's columns on a terminal."""

import io
import logging
import os

from rich.console import Console
from rich.logging import RichHandler

from tilefarm.adapters.console import log_handler

TX = "0x" + "ab" * 32


def test_a_log_going_to_a_file_keeps_each_record_whole_on_one_line() -> None:
    out = io.StringIO()
    logger = logging.getLogger("tests.console-logs")
    logger.propagate = False
    handler = log_handler(Console(file=out, width=80))
    logger.addHandler(handler)
    try:
        logger.warning("sent commitResults:7: %s (nonce 12) [after a reorganisation]", TX)
    finally:
        logger.removeHandler(handler)
    (line,) = out.getvalue().splitlines()
    assert line.endswith(f"WARNING tests.console-logs: sent commitResults:7: {TX} (nonce 12) "
                         "[after a reorganisation]")  # fmt: skip


def test_a_file_gets_whole_lines_even_when_colour_is_forced() -> None:
    handler = log_handler(Console(file=io.StringIO(), force_terminal=True))
    assert not isinstance(handler, RichHandler)


def test_a_terminal_gets_rich_columns() -> None:
    leader, follower = os.openpty()
    with os.fdopen(follower, "w") as tty:
        assert isinstance(log_handler(Console(file=tty)), RichHandler)
    os.close(leader)
