"""`make demo` / `tilefarm demo`: the whole marketplace on this machine, end to end.

The local chain and IPFS, the marketplace server and three render workers run as separate
processes; an artist posts a job for the built-in showcase scene through the server's API and
signs `postJob` with its own key; the workers bid, render, commit and verify each other; the
server assembles the frames; the demo downloads them and prints what happened (docs/demo.md).
"""

from tilefarm_cli.demo.errors import DemoError
from tilefarm_cli.demo.options import DemoOptions
from tilefarm_cli.demo.progress import FrameProgress, JobProgress
from tilefarm_cli.demo.run import DemoRun
from tilefarm_cli.demo.summary import DemoSummary

__all__ = ["DemoError", "DemoOptions", "DemoRun", "DemoSummary", "FrameProgress", "JobProgress"]
