"""Once `tilefarm submit` has sent postJob, its transaction's hash is never lost: it is said as
soon as the node takes it, and a wait that ends without a receipt ends in words that name the
hash, how to look it up and that submitting again would post a second job (no traceback). On a
real anvil whose mining is paused; the server is a fake one that stores the scene and the
manifest as the real one answers them. Cost: one keystore unlock and a two-second wait."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_typing import HexStr

from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.devkeys import dev_account
from tilefarm.adapters.chain.events import JobPosted
from tilefarm.manifest import parse_manifest

from .artist_cli import cli, flat, write_keystore
from .conftest import Chain
from .fake_server import Reply, Route, fake_server, json_reply

pytestmark = pytest.mark.chain
ARTIST = 7  # a devnet account no other test of this folder signs with
SCENE_CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
SCENE = {
    "cid": SCENE_CID, "filename": "shot.blend", "size": 76,
    "info": {"scene": "Scene", "frame_start": 1, "frame_end": 2, "width": 32, "height": 24,
             "samples": 1, "engine": "CYCLES",
             "colour": {"view_transform": "Standard", "look": "None", "exposure": 0.0,
                        "gamma": 1.0, "display_device": "sRGB", "working_space": "ACEScg"}},
}  # fmt: skip


def stored_manifest(request: bytes) -> Reply:
    """As the server stores one: its CID, computed from what was sent."""
    cid = parse_manifest(request).cid()
    return 201, {"content-type": "application/json"}, json.dumps({"cid": cid}).encode()


def server_routes(chain: Chain) -> dict[tuple[str, str], Route]:
    config = {"chain_id": 31337, "rpc_url": chain.rpc_url,
              "market_address": chain.address("JobMarket")}  # fmt: skip
    return {
        ("GET", "/api/config"): json_reply(config),
        ("POST", "/api/scenes"): json_reply(SCENE, 201),
        ("POST", "/api/manifests"): stored_manifest,
    }  # fmt: skip


@pytest.fixture
def paused(chain: Chain) -> Iterator[Chain]:
    """The chain takes transactions but mines none until the test mines one."""
    chain.w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    try:
        yield chain
    finally:
        chain.w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]


def test_a_post_without_a_receipt_in_time_names_its_transaction_and_never_asks_for_a_rerun(
    paused: Chain, tmp_path: Path
) -> None:
    blend = tmp_path / "shot.blend"
    blend.write_bytes(b"BLENDER-v500" + bytes(64))
    key = write_keystore(tmp_path / "artist.json", bytes(dev_account(ARTIST).key))
    with fake_server(server_routes(paused)) as server:
        result = cli(
            "submit", blend, "--server", server.url, "--keystore", key, "--no-pack",
            "--grid", "1x1", "--receipt-timeout", "2", "--json",
        )  # fmt: skip
    assert result.exit_code == 1 and "Traceback" not in result.output
    # What a pipeline keeps: the transaction to look up, the chain, market and deposit.
    failed = json.loads(result.stdout)
    tx_hash = failed["tx_hash"]
    assert failed["chain_id"] == 31337 and failed["market"] == paused.address("JobMarket")
    assert failed["artist"] == dev_account(ARTIST).address and failed["deposit_wei"] > 0
    said = flat(result.stderr)
    # Said before signing, then as soon as it was sent.
    assert f"signing postJob on chain 31337 for the market {paused.address('JobMarket')}" in said
    assert f"({failed['deposit_wei']} wei) from the artist" in said
    assert f"postJob sent: transaction {tx_hash}" in said
    assert said.index("signing postJob") < said.index("postJob sent") < said.index("error:")
    assert f"cast receipt {tx_hash} --rpc-url {paused.rpc_url}" in said
    assert "Do not submit again" in said
    # The transaction is real: once mined, it posted the job, paying what was said.
    paused.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    receipt = paused.w3.eth.get_transaction_receipt(HexStr(tx_hash))
    market = JobMarketClient.from_build(paused.w3, paused.address("JobMarket"))
    (posted,) = [e for e in market.decode_receipt(receipt) if isinstance(e, JobPosted)]
    assert posted.artist == dev_account(ARTIST).address
    assert posted.deposit == failed["deposit_wei"]
