"""Log lines for machines: `--log-format json` of `tilefarm serve` and `render-worker run`.

One JSON object a line, on stderr: `time` (ISO 8601, UTC, milliseconds), `level`, `logger`,
`message`, and `exception` (the traceback's text) when the record carries one. A request line of
uvicorn's access log also names its `client`, `method`, `path`, `http_version` and `status`, so a
log store can filter on them without parsing the message."""

import json
import logging
import sys
import threading
from datetime import UTC, datetime
from enum import StrEnum
from types import TracebackType
from typing import Any, TextIO


class LogFormat(StrEnum):
    """How a long-running command writes its log."""

    HUMAN = "human"  # columns on a terminal, one line a record elsewhere (`console.log_handler`)
    JSON = "json"


ACCESS_FIELDS = ("client", "method", "path", "http_version", "status")
# The logger of exceptions nothing caught (`log_json`'s hooks).
UNCAUGHT = logging.getLogger("uncaught")


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        args = record.args
        if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
            line.update(zip(ACCESS_FIELDS, args, strict=True))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str)


def json_handler(stream: TextIO | None = None) -> logging.Handler:
    """A handler writing JSON lines to `stream` (default: stderr)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    return handler


def log_json(level: int, stream: TextIO | None = None) -> None:
    """Send every record of the process, at `level` and above, to one JSON handler: the root
    logger's only handler, every other logger's records propagated to it (uvicorn's included,
    when it is run with `log_config=None`), Python's warnings, and the exceptions nothing
    caught, in the main thread or another, so that every line on the stream is JSON."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(json_handler(stream))
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_thread_uncaught


def _log_uncaught(
    kind: type[BaseException], exc: BaseException, trace: TracebackType | None
) -> None:
    """`sys.excepthook`: an exception nothing caught, as one JSON line (its traceback in
    `exception`) instead of Python's lines of text."""
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, exc, trace)
        return
    UNCAUGHT.critical("uncaught %s: %s", kind.__name__, exc, exc_info=(kind, exc, trace))


def _log_thread_uncaught(args: threading.ExceptHookArgs) -> None:
    """`threading.excepthook`: what ended a thread, as one JSON line naming the thread."""
    if args.exc_type is SystemExit or args.exc_value is None:
        return  # a thread's quiet exit, as Python's own hook treats it
    name = args.thread.name if args.thread is not None else "a thread"
    UNCAUGHT.error(
        "%s stopped on %s: %s", name, args.exc_type.__name__, args.exc_value,
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )  # fmt: skip
