"""A transaction's purpose is typed, and stored under the key earlier workers wrote: a worker
upgraded in place finds the transactions it stored, and never signs one of those purposes again."""

import pytest

from render_worker.chain import calls
from render_worker.chain.calls import Call
from render_worker.chain.purposes import Action, Purpose, function_of
from tilefarm.hardware import Hardware

W = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
SEED = "0x1a2b3c4d5e6f7a8b9c0d" + "11" * 22
TAG = "1a2b3c4d5e6f7a8b"  # the seed's first 16 hex digits

# Keys as the worker wrote them before purposes were typed (f-strings in each module).
OLD_KEYS = [
    ("commitBid:7", Purpose(Action.COMMIT_BID, 7)),
    ("revealBid:7", Purpose(Action.REVEAL_BID, 7)),
    ("settle:7", Purpose(Action.SETTLE, 7)),
    ("reclaimBond:7", Purpose(Action.RECLAIM_BOND, 7)),
    ("reoffer:7:12", Purpose(Action.REOFFER, 7, round=12)),
    ("commitResults:7", Purpose(Action.COMMIT_RESULTS, 7)),
    ("drawVerifier:7:1", Purpose(Action.DRAW_VERIFIER, 7, round=1)),
    ("revealResults:7:0", Purpose(Action.REVEAL_RESULTS, 7, round=0)),
    ("openDispute:7", Purpose(Action.OPEN_DISPUTE, 7)),
    ("drawPanel:7", Purpose(Action.DRAW_PANEL, 7)),
    ("resolveDispute:7", Purpose(Action.RESOLVE_DISPUTE, 7)),
    (f"claimLate:7:{W}:0", Purpose(Action.CLAIM_LATE, 7, W, 0)),
    (f"replaceVerifier:7:{W}:1", Purpose(Action.REPLACE_VERIFIER, 7, W, 1)),
    (f"drawVerifier:7:{W}:0", Purpose(Action.DRAW_VERIFIER, 7, W, 0)),
    (f"finalizeRejection:7:{W}:2", Purpose(Action.FINALIZE_REJECTION, 7, W, 2)),
    (f"release:7:{W}:0", Purpose(Action.RELEASE, 7, W, 0)),
    (f"sealEvidence:7:{W}:0:{TAG}", Purpose(Action.SEAL_EVIDENCE, 7, W, 0, TAG)),
    (f"attest:7:{W}:1:1111111111111111", Purpose(Action.ATTEST, 7, W, 1, "1111111111111111")),
    (f"openDispute:7:{W}:0", Purpose(Action.OPEN_DISPUTE, 7, W, 0)),
    (f"drawPanel:7:{W}:0", Purpose(Action.DRAW_PANEL, 7, W, 0)),
    (f"resolveDispute:7:{W}:0", Purpose(Action.RESOLVE_DISPUTE, 7, W, 0)),
    (f"commitVote:7:{W}", Purpose(Action.COMMIT_VOTE, 7, W)),
    (f"revealVote:7:{W}", Purpose(Action.REVEAL_VOTE, 7, W)),
    (f"resolveDispute:7:{W}", Purpose(Action.RESOLVE_DISPUTE, 7, W)),
    ("withdraw:120:5000", Purpose(Action.WITHDRAW, tag="120:5000")),
    ("filler:41", Purpose(Action.FILLER, tag="41")),
    ("stake:more", Purpose(Action.STAKE, tag="more")),
    ("declareHardware:120:2:8192", Purpose(Action.DECLARE_HARDWARE, tag="120:2:8192")),
    ("commitResults:7#40", Purpose(Action.COMMIT_RESULTS, 7, retired=40)),
    (f"attest:7:{W}:0:{TAG}#3", Purpose(Action.ATTEST, 7, W, 0, TAG, 3)),
]  # fmt: skip


@pytest.mark.parametrize(("key", "purpose"), OLD_KEYS, ids=[k for k, _ in OLD_KEYS])
def test_a_key_an_earlier_worker_stored_parses_to_its_purpose_and_back(
    key: str, purpose: Purpose
) -> None:
    assert Purpose.parse(key) == purpose
    assert purpose.key == key


# Each call the worker sends, and the key it was stored under before calls were typed.
CALLS = [
    (calls.commit_bid(7, b"c" * 32, 3, 10), "commitBid:7"),
    (calls.reveal_bid(7, 5, 3, b"s" * 32), "revealBid:7"),
    (calls.settle(7, [W]), "settle:7"),
    (calls.reclaim_bond(7), "reclaimBond:7"),
    (calls.reoffer(7, 0), "reoffer:7:0"),
    (calls.commit_results(7, b"r" * 32), "commitResults:7"),
    (calls.draw_own_verifier(7, W, 1), "drawVerifier:7:1"),
    (calls.reveal_results(7, 0, "bafy"), "revealResults:7:0"),
    (calls.appeal(7, W, "bafy", 9), "openDispute:7"),
    (calls.draw_own_panel(7, W), "drawPanel:7"),
    (calls.resolve_own_dispute(7, W), "resolveDispute:7"),
    (calls.seat_deadline(Action.CLAIM_LATE, 7, W, 0), f"claimLate:7:{W}:0"),
    (calls.seat_deadline(Action.DRAW_VERIFIER, 7, W, 2), f"drawVerifier:7:{W}:2"),
    (calls.seal_evidence(7, W, 0, SEED, b"x" * 32), f"sealEvidence:7:{W}:0:{TAG}"),
    (calls.attest(7, W, 0, SEED, True, "bafy"), f"attest:7:{W}:0:{TAG}"),
    (calls.challenge(7, W, 0, "bafy", 9), f"openDispute:7:{W}:0"),
    (calls.draw_panel(7, W, 0), f"drawPanel:7:{W}:0"),
    (calls.resolve_dispute(7, W, 0), f"resolveDispute:7:{W}:0"),
    (calls.commit_vote(7, W, b"v" * 32), f"commitVote:7:{W}"),
    (calls.reveal_vote(7, W, False, b"s" * 32, "bafy"), f"revealVote:7:{W}"),
    (calls.resolve_as_panel(7, W), f"resolveDispute:7:{W}"),
    (calls.withdraw(120, 5000), "withdraw:120:5000"),
    (calls.stake(10, "more"), "stake:more"),
    (
        calls.declare_hardware(120, Hardware(backend="CUDA", vram_mib=8192)),
        "declareHardware:120:2:8192",
    ),
]


@pytest.mark.parametrize(("call", "key"), CALLS, ids=[k for _, k in CALLS])
def test_each_call_is_stored_under_the_key_earlier_workers_wrote(call: Call, key: str) -> None:
    assert call.purpose.key == key
    assert Purpose.parse(key) == call.purpose
    assert call.function == function_of(key)
    assert len(key) <= 96  # the purpose column


def test_a_call_carries_its_arguments_and_value_for_the_market_function() -> None:
    bid = calls.commit_bid(7, b"c" * 32, 3, 10)
    assert (bid.function, bid.args, bid.value) == ("commitBid", (7, b"c" * 32, 3), 10)
    verdict = calls.attest(7, W, 0, SEED, False, "bafy-e")
    assert (verdict.function, verdict.args, verdict.value) == ("attest", (7, W, False, "bafy-e"), 0)


def test_a_reverted_attempt_is_kept_under_a_key_of_its_own() -> None:
    purpose = Purpose(Action.COMMIT_RESULTS, 7)
    retired = purpose.retire(40)
    assert retired.key == "commitResults:7#40" and retired.key.startswith(purpose.retired_prefix)
    assert not "commitResults:70".startswith(purpose.retired_prefix)


@pytest.mark.parametrize(
    "key", ["commitbid:7", "commitBid", "commitBid:x", "commitBid:07", "unknownCall:7", ""]
)
def test_a_key_the_worker_never_writes_is_refused(key: str) -> None:
    with pytest.raises(ValueError):
        Purpose.parse(key)
    assert function_of(key) == key.partition(":")[0]


def test_only_a_deadline_action_is_sent_on_a_seats_deadline() -> None:
    with pytest.raises(ValueError, match="not an action on a seat's deadline"):
        calls.seat_deadline(Action.COMMIT_BID, 7, W, 0)


def test_a_hardware_declaration_is_sent_once_per_record_it_replaces() -> None:
    gpu = calls.declare_hardware(120, Hardware(backend="OPTIX", vram_mib=24_576))
    assert (gpu.function, gpu.args, gpu.value) == ("declareHardware", (3, 24_576), 0)
    # The same hardware declared again later (after another) is another transaction.
    assert calls.declare_hardware(300, Hardware(backend="OPTIX", vram_mib=24_576)) != gpu
    assert calls.declare_hardware(120, Hardware(backend="CPU")).args == (1, 0)
