"""Logs decoded from the market's ABI (`tilefarm/adapters/chain/abi_codec.py`) when their
strings are hostile: anyone may call the market with a "CID" that is not UTF-8, and every reader
of its logs (the server's indexer, the auditor, the workers) must still read them."""

from faster_eth_abi import encode

from tilefarm.adapters.chain.abi_codec import LogDecoder
from tilefarm.adapters.chain.artifacts import load_artifact
from tilefarm.adapters.chain.events import ResultsAttested
from tilefarm.adapters.paths import BUILD_DIR

WORKER = "0x" + "b2" * 20
VERIFIER = "0x" + "c3" * 20


def _word(value: int | str) -> str:
    number = int(value, 16) if isinstance(value, str) else value
    return "0x" + number.to_bytes(32, "big").hex()


def test_an_attestation_whose_evidence_cid_is_not_utf8_is_read_with_replacement_characters() -> (
    None
):
    decoder = LogDecoder(load_artifact("JobMarket", BUILD_DIR).abi)
    log = {
        "topics": [
            "0x" + decoder.topic("ResultsAttested").hex(),
            _word(7), _word(WORKER), _word(VERIFIER),
        ],
        # The string's bytes as the EVM emits them: any bytes at all.
        "data": "0x" + encode(["bool", "bytes"], [True, b"bafy\xff\xfe-evidence"]).hex(),
        "blockNumber": "0x10", "transactionHash": "0x" + "ab" * 32, "logIndex": "0x2",
    }  # fmt: skip
    event = decoder.decode(log)
    assert isinstance(event, ResultsAttested)
    assert event.evidence_cid == "bafy\ufffd\ufffd-evidence"
    assert (event.job_id, event.passed, event.block_number, event.log_index) == (7, True, 16, 2)
    assert event.worker.lower() == WORKER and event.verifier.lower() == VERIFIER
