"""tilefarm's protocol: what every party computes the same way, with nothing but Python in it.

The modules at this level are the protocol itself (manifests, tiles, Merkle trees, pixels, patch
selection and judging, stitching): no bpy, web3, HTTP or database, so most of their tests need
nothing running. Below them nothing; above them, in this package:

- `tilefarm.adapters`: one small adapter per thing the protocol talks to (chain, IPFS, Blender,
  the database, keys, the terminal);
- `tilefarm.checks`: the re-checks every role runs (verification, audit), built on the two.

The programs (`tilefarm_cli`, `marketplace`, `render_worker`) sit above; imports only point down
(tests/architecture/test_import_rules.py keeps it so).
"""

__version__ = "0.1.0"
PROTOCOL_VERSION = "tilefarm/1"
