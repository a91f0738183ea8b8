"""Whose word the chain rests on when the artist signs: the node's.

A node answers the chain id, the market's code, its fee and quote, the nonce and the gas: a
node run by the server can answer anything. Left to the server, a hostile one names chain 1
and a market of its own, and its node fakes `eth_getCode`: the artist signs a chain-1
transaction, valid on mainnet, paying the server's contract. So a node that is not on this
machine is used only when the artist said so: `--rpc-url` (a node the artist runs or trusts),
or both `--chain-id` and `--market` pinned (then what is signed can only go to that market on
that chain: a lying node can at worst make it fail, and its gas is bounded by
`--max-gas-fee`). A node on loopback (the devnet, the demo) is the artist's own machine.

"Loopback" is read from the URL as written, never resolved: `localhost`, 127.0.0.0/8 and ::1.
A name that a resolver maps to 127.0.0.1 is not taken on the resolver's word either.
"""

from ipaddress import ip_address
from urllib.parse import urlparse

from tilefarm_cli.artist.errors import MarketRefused


def on_loopback(url: str) -> bool:
    """Whether `url` names this machine's loopback, as written: `localhost`, 127.0.0.0/8, ::1."""
    host = urlparse(url).hostname
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False  # a name: not resolved here


def check_node_trusted(
    rpc_url: str, server_url: str, *, own_node: bool, chain_pinned: bool, market_pinned: bool
) -> None:
    """Refuse (`MarketRefused`) to sign through the server's node `rpc_url` when it is not on
    this machine, unless the artist pinned both the chain and the market. `own_node`: the
    artist gave `--rpc-url`, which is then theirs to trust."""
    if own_node or on_loopback(rpc_url) or (chain_pinned and market_pinned):
        return
    missing = " and ".join(
        option
        for option, given in (("--chain-id", chain_pinned), ("--market", market_pinned))
        if not given
    )
    raise MarketRefused(
        f"the server at {server_url} names the chain's node {rpc_url}, which is not on this "
        "machine: signing on its word would let the server choose the chain and the market and "
        "fake the market's code, so nothing was signed (and nothing uploaded). Pass --rpc-url "
        "with a node you run or trust, or pin the chain and the market you mean to pay with "
        f"--chain-id and --market (missing: {missing}), taken from a source other than this "
        "server"
    )
