"""The contract's bid hashing, reproduced exactly: the sealed-bid commitment and the
settlement rank key."""

from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak
from web3 import Web3


def bid_commitment(
    job_id: int, bidder: str, price_per_tile: int, tile_count: int, salt: bytes
) -> bytes:
    """The sealed-bid commitment `JobMarket.revealBid` checks a reveal against."""
    return keccak(
        abi_encode(
            ["uint96", "uint16", "bytes32", "address", "uint256"],
            [price_per_tile, tile_count, salt, Web3.to_checksum_address(bidder), job_id],
        )
    )


def rank_key(tie_seed: int, bidder: str, price_per_tile: int) -> int:
    """The settlement sort key: price high, a hash of the job's tie seed (`Job.tie_seed`, fixed
    by its first reveal) and the bidder in the low 160 bits."""
    tie = int.from_bytes(
        keccak(abi_encode(["uint256", "address"], [tie_seed, Web3.to_checksum_address(bidder)])),
        "big",
    )
    return (price_per_tile << 160) | (tie & ((1 << 160) - 1))
