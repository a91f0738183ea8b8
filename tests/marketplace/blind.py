"""Blind verification with real bytes and no Blender: a job whose manifest, tiles, results list
and evidence bundles are real files on IPFS (made-up pixels), on a market the test drives.

A worker's tiles are random pixels; an honest verifier's evidence is the same pixels cropped to
the patches its seed selects (what a re-render of an honest tile gives, exactly), and a lazy
verifier's evidence is the right patches, each a flat grey rectangle it never rendered."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tests.marketplace.market import Bid, Market, attest, auction, commit_results, draw
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.checks.verification import Evidence, EvidencePatch, drawn_seed
from tilefarm.manifest import RenderManifest, build_manifest, canonical_json
from tilefarm.patches import select_patches
from tilefarm.pixels import Pixels, pixel_hash, read_exr, write_exr
from tilefarm.results import ResultsList, ResultTile

PRICE = 10**14
TILES = 4  # one frame of 2 x 2 tiles of 16 x 12 pixels


@dataclass
class RealSeat:
    """One worker's seat of a job whose files are all on IPFS."""

    m: Market
    ipfs: KuboClient
    work: Path
    job_id: int
    worker: str
    manifest: RenderManifest
    manifest_cid: str
    tiles: dict[int, Pixels]  # job tile -> its pixels, as committed
    results: ResultsList
    results_cid: str

    def evidence(self, seed: str, honest: bool = True) -> str:
        """An evidence bundle on `seed`'s patches (see the module), published; its CID."""
        choices = select_patches(
            bytes.fromhex(seed.removeprefix("0x")), self.manifest, range(TILES)
        )
        rects = self.manifest.tiles()
        patches = []
        for i, c in enumerate(choices):
            local = c.rect.relative_to(rects[c.tile])
            crop = self.tiles[c.job_tile][local.y : local.y_end, local.x : local.x_end]
            if not honest:
                crop = np.full_like(crop, 0.37)
                crop[..., 3] = 1.0
            path = write_exr(self.work / f"patch-{seed[2:10]}-{honest}-{i}.exr", crop)
            patches.append(EvidencePatch(choice=c, render_cid=self.ipfs.add_file(path)))
        evidence = Evidence(
            job_id=self.job_id, worker=self.worker, manifest_cid=self.manifest_cid,
            merkle_root="0x" + self.results.root().hex(), first_tile=0, tile_count=TILES,
            seed=seed, patches=patches,
        )  # fmt: skip
        return evidence.publish(self.ipfs)

    def verify(self, honest: bool = True, passed: bool = True) -> tuple[str, str]:
        """A verifier is drawn, seals its evidence (honest or lazy) before the worker reveals
        its tiles, and attests `passed`; returns the verifier and the evidence's CID."""
        verifier = draw(self.m, self.job_id, self.worker)
        seed = drawn_seed(self.m.client, self.job_id, self.worker)
        assert seed is not None
        evidence = self.evidence(seed, honest)
        attest(self.m, self.job_id, self.worker, verifier, passed, evidence, self.results_cid)
        return verifier, evidence


def real_job(m: Market, ipfs: KuboClient, work: Path, worker: str) -> RealSeat:
    """A job of one frame whose only worker wins every tile and commits their Merkle root (its
    results list is on IPFS, named on chain only by `RealSeat.verify`'s reveal)."""
    work.mkdir(parents=True, exist_ok=True)
    manifest = build_manifest(
        scene_cid=ipfs.add_bytes(b"no scene: nobody renders this job"), frames=[1],
        resolution={"width": 32, "height": 24}, tile_grid={"columns": 2, "rows": 2}, samples=1,
        verification={"patch_size": 8, "patch_count": 4},
    )  # fmt: skip
    manifest_cid = ipfs.add_bytes(manifest.canonical_json())
    job_id = auction(m, [Bid(worker, PRICE, TILES)], tiles=TILES, manifest=manifest_cid)
    rng = np.random.default_rng(job_id)
    tiles: dict[int, Pixels] = {}
    entries = []
    for index, rect in enumerate(manifest.tiles()):
        pixels = rng.random((rect.height, rect.width, 4), dtype=np.float32) * 0.8
        pixels[..., 3] = 1.0
        path = write_exr(work / f"job-{job_id}-tile-{index}.exr", pixels)
        tiles[index] = read_exr(path)
        entries.append(
            ResultTile(index=index, cid=ipfs.add_file(path), pixel_hash=pixel_hash(tiles[index]))
        )
    results = ResultsList(job_id=job_id, worker=worker, manifest_cid=manifest_cid, tiles=entries)
    results_cid = ipfs.add_bytes(canonical_json(results.model_dump(mode="json")))
    commit_results(m, job_id, worker, results.root())
    return RealSeat(
        m, ipfs, work, job_id, worker, manifest, manifest_cid, tiles, results, results_cid
    )
