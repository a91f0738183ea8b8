"""A fake server that takes a job as the real one does: it follows the tests' chain
(`/api/config`), stores the scene (answering what the real one read of it) and the manifest
(its CID computed from what was sent). Its node is the chain's, or whatever `rpc_url` says."""

import json

from tilefarm.manifest import parse_manifest

from .conftest import Chain
from .fake_server import Reply, Route, json_reply

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


def job_routes(chain: Chain, rpc_url: str | None = None) -> dict[tuple[str, str], Route]:
    """`/api/config` naming the chain's market and `rpc_url` (default: the chain's node), and
    the scene and manifest stored."""
    config = {"chain_id": 31337, "rpc_url": rpc_url or chain.rpc_url,
              "market_address": chain.address("JobMarket")}  # fmt: skip
    return {
        ("GET", "/api/config"): json_reply(config),
        ("POST", "/api/scenes"): json_reply(SCENE, 201),
        ("POST", "/api/manifests"): stored_manifest,
    }
