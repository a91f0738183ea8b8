"""The empty transfer that takes a removed transaction's nonce (after a reorganisation removed
the job it was for) must replace that transaction in a node's pool, where the node may have put
it back: nodes accept a replacement only if both its fee cap and its tip rise by 10% or more."""

from eth_account import Account

from render_worker.chain.sender import outbid


def _signed(max_fee: int, tip: int) -> str:
    account = Account.create()
    tx = {"to": account.address, "value": 0, "gas": 21_000, "nonce": 7, "chainId": 31337,
          "maxFeePerGas": max_fee, "maxPriorityFeePerGas": tip}  # fmt: skip
    return "0x" + bytes(account.sign_transaction(tx).raw_transaction).hex()


def test_the_filler_outbids_the_removed_transaction_by_more_than_a_tenth() -> None:
    removed = _signed(max_fee=2_000_000_000, tip=1_000_000_000)
    fees = outbid(removed, {"maxFeePerGas": 1_500_000_000, "maxPriorityFeePerGas": 10})
    assert fees == {"maxFeePerGas": 2_250_000_001, "maxPriorityFeePerGas": 1_125_000_001}
    assert fees["maxFeePerGas"] >= fees["maxPriorityFeePerGas"]


def test_fees_already_higher_than_the_removed_transaction_are_kept() -> None:
    removed = _signed(max_fee=100, tip=10)
    now = {"maxFeePerGas": 5_000, "maxPriorityFeePerGas": 500}
    assert outbid(removed, now) == now


def test_a_zero_fee_transaction_is_still_outbid() -> None:
    assert outbid(_signed(0, 0), {"maxFeePerGas": 0, "maxPriorityFeePerGas": 0}) == {
        "maxFeePerGas": 1,
        "maxPriorityFeePerGas": 1,
    }
