"""The `tilefarm` command and the programs behind it: the devnet (anvil and Kubo), the demo, the
built-in scene builders (run inside the Blender child), deployment and the audit's CLI. It sits
above the protocol (`tilefarm`), and starts the server (`marketplace`) for `tilefarm serve`.
"""

from tilefarm import __version__

__all__ = ["__version__"]
