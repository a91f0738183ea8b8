"""The contract's sealed panel vote and sealed verifier evidence, reproduced exactly, and the salt
a member derives for its vote."""

import hashlib
import hmac

from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak
from web3 import Web3


def vote_commitment(
    job_id: int, worker: str, voter: str, fraud: bool, salt: bytes, evidence_cid: str
) -> bytes:
    """The commitment `JobMarket.revealVote` checks a revealed vote and its evidence against."""
    return keccak(
        abi_encode(
            ["uint256", "address", "address", "bool", "bytes32", "string"],
            [
                job_id,
                Web3.to_checksum_address(worker),
                Web3.to_checksum_address(voter),
                fraud,
                salt,
                evidence_cid,
            ],
        )
    )


def evidence_seal(job_id: int, worker: str, verifier: str, evidence_cid: str) -> bytes:
    """The seal `JobMarket.attest` checks the attested evidence against. The evidence needs no
    salt: it is a CID of re-rendered pixels nobody else can guess."""
    return keccak(
        abi_encode(
            ["uint256", "address", "address", "string"],
            [
                job_id,
                Web3.to_checksum_address(worker),
                Web3.to_checksum_address(verifier),
                evidence_cid,
            ],
        )
    )


def vote_salt(secret: bytes, job_id: int, worker: str) -> bytes:
    """A member's salt for one dispute: a keyed hash of the dispute under the member's own secret,
    so that nobody else can guess it (a boolean vote under a guessable salt is no secret) and the
    member finds it again after a restart without having stored it."""
    message = f"tilefarm vote salt:{job_id}:{Web3.to_checksum_address(worker)}".encode()
    return hmac.new(secret, message, hashlib.sha256).digest()
