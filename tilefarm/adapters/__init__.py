"""Adapters: one sub-package or module per thing outside Python the protocol talks to.

`chain/` (contract bindings, decoded events, the log follower, deployment), `ipfs/` (the Kubo
client and CID checks), `blender/` (the sandboxed render child and its launcher), `database`
(one opener for SQLite and PostgreSQL URLs), `keystore` (encrypted keys), `paths` (where the
installed tools and build live), `console` (the terminal). They import the protocol, never the
checks or the programs above them.
"""
