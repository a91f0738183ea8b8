"""The local stack supervisor: anvil, Kubo and the deployed contracts on loopback.

`up` starts what is not running, `status` re-probes what runs, `down` stops exactly what `up`
started. The state lives in `<state_dir>/devnet/stack.json`.
"""

from tilefarm.devnet.errors import DevnetError, PortInUse, StackCrashed
from tilefarm.devnet.stack import Devnet, StackStatus

__all__ = ["Devnet", "DevnetError", "PortInUse", "StackCrashed", "StackStatus"]
