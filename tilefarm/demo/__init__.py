"""`make demo` / `tilefarm demo`: the whole marketplace on this machine, end to end.

The local chain and IPFS, the marketplace server and three render workers run as separate
processes; an artist posts a job for the built-in showcase scene through the server's API and
signs `postJob` with its own key; the workers bid, render, commit and verify each other; the
server assembles the frames; the demo downloads them and prints what happened (docs/demo.md).
"""

from tilefarm.demo.errors import DemoError
from tilefarm.demo.options import DemoOptions
from tilefarm.demo.progress import FrameProgress, JobProgress
from tilefarm.demo.run import DemoRun
from tilefarm.demo.summary import DemoSummary

__all__ = ["DemoError", "DemoOptions", "DemoRun", "DemoSummary", "FrameProgress", "JobProgress"]
