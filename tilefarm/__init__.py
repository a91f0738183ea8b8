"""tilefarm's shared core: the pure protocol logic and the thin adapters to chain, IPFS and Blender.

Pure modules (no bpy, web3 or HTTP in them) are used by the marketplace, the render worker and the
auditor alike; adapters live in sub-packages named after what they talk to (`ipfs/`, `chain/`,
`blender/`, `devnet/`).
"""

__version__ = "0.1.0"
PROTOCOL_VERSION = "tilefarm/1"
