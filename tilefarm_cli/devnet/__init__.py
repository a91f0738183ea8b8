"""The local stack supervisor: anvil, Kubo and the deployed contracts on loopback.

`up` starts what is not running, `status` re-probes what runs, `down` stops exactly what `up`
started. The state lives in `<state_dir>/devnet/stack.json`.
"""

from tilefarm_cli.devnet.errors import DevnetError, PortInUse, StackCrashed
from tilefarm_cli.devnet.stack import Devnet, StackStatus

__all__ = ["Devnet", "DevnetError", "PortInUse", "StackCrashed", "StackStatus"]
