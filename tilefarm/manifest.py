"""The render manifest: everything that decides a job's pixels, in one versioned schema.

Server, worker, verifier and auditor all read this one model. Two honest workers given the same
manifest must produce the same pixels (up to floating-point noise across CPU kernels or Blender
builds), so every setting that changes pixels is either fixed here or pinned to a constant.
Its canonical JSON (sorted keys, compact, UTF-8) has exactly one CID.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from aleph_cid import CidHasher
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tilefarm.colour import ColourManagement
from tilefarm.envelope import CROSS_DEVICE, PairThresholds, Thresholds, thresholds_for
from tilefarm.errors import TilefarmError
from tilefarm.hardware import BackendClass, Requirements
from tilefarm.tiles import Rect, TileError, check_grid, tile_rects

MANIFEST_VERSION = 1
BLENDER_VERSION = "5.0.1"
MAX_SAMPLES = 65_536
MAX_RESOLUTION = 16_384
MAX_TILES = 65_536
# The contract counts a job's tiles (every frame's) in a uint16.
MAX_JOB_TILES = 2**16 - 1
# Blender's own MAXFRAME.
MAX_FRAME = 1_048_574
MAX_SEED = 2**31 - 1
# A manifest is a small JSON document; every party refuses a larger one before parsing it.
MAX_MANIFEST_BYTES = 1 << 20

# Base58btc CIDv0 or base32 CIDv1, the two forms Kubo prints.
_CID_RE = re.compile(r"^(Qm[1-9A-HJ-NP-Za-km-z]{44}|b[a-z2-7]{50,100})$")


class ManifestError(TilefarmError, ValueError):
    """A manifest that does not validate; the message lists every offending field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Resolution(_Strict):
    """Output size in pixels (Blender's resolution percentage is always 100)."""

    width: Annotated[int, Field(ge=1, le=MAX_RESOLUTION)]
    height: Annotated[int, Field(ge=1, le=MAX_RESOLUTION)]


class TileGrid(_Strict):
    """How the frame is cut: `columns` x `rows` tiles, row-major from the top-left."""

    columns: Annotated[int, Field(ge=1, le=1024)]
    rows: Annotated[int, Field(ge=1, le=1024)]


class OutputFormat(_Strict):
    """Tile files: float EXR with a lossless codec, so decoded pixels equal rendered ones."""

    file_format: Literal["OPEN_EXR"] = "OPEN_EXR"
    color_depth: Literal["32"] = "32"
    channels: Literal["RGBA"] = "RGBA"
    # Lossy codecs (DWAA, B44, PXR24...) would change pixels, so only lossless ones are allowed.
    codec: Literal["ZIP", "ZIPS", "PIZ", "RLE", "NONE"] = "ZIP"


class VerificationParams(Thresholds):
    """How verifiers spot-check tiles (docs/verification.md). Thresholds apply to tone-mapped
    values x/(1+x); a patch passes only if all its comparisons pass. The four inherited
    thresholds judge two CPU renders; `cross_device` (and any measured `device_pairs`) judge a
    pair with a GPU on either side (`tilefarm.envelope`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    patch_size: Annotated[int, Field(ge=4, le=256)] = 16
    # 48 patches of 16x16, three per tile in bands of each 4x4 tile, catch 10% of the area faked
    # (quarter samples or a wrong seed) in >= 99% of jobs, for 4.6% of the CPU time of rendering
    # the job; bench/fraud.py measures both.
    patch_count: Annotated[int, Field(ge=1, le=4096)] = 48
    # The CPU pair (Thresholds' defaults), measured by bench/fraud.py on the demo scene
    # (tone-mapped 16x16 patches): honest renders on another CPU kernel (no AVX2) read >= 56.6 dB
    # (58 dB failed 6% of honest jobs: PSNR threshold 53 dB); differ by at most 0.046 (max_error
    # 0.1); round almost every pixel within 1e-6 and diverge on a rare few, at most 2% of any
    # 16x16 patch, where a wrong seed or fewer samples move most noisy pixels, 73% by more than
    # 1e-3 (pixel tolerance 1e-3, at most 10% of a patch's pixels).
    cross_device: Thresholds = CROSS_DEVICE
    device_pairs: Annotated[tuple[PairThresholds, ...], Field(max_length=64)] = ()

    def thresholds_for(self, worker: BackendClass, verifier: BackendClass) -> Thresholds:
        """The limits for a tile rendered on `worker` checked by a re-render on `verifier`."""
        return thresholds_for(self, self.cross_device, self.device_pairs, worker, verifier)


class RenderManifest(_Strict):
    """Everything that decides a job's pixels. Version 1."""

    manifest_version: Literal[1] = 1
    scene_cid: str
    blender_version: Literal["5.0.1"] = "5.0.1"
    engine: Literal["CYCLES"] = "CYCLES"
    frames: Annotated[list[int], Field(min_length=1, max_length=100_000)]
    resolution: Resolution
    tile_grid: TileGrid
    samples: Annotated[int, Field(ge=1, le=MAX_SAMPLES)]
    seed: Annotated[int, Field(ge=0, le=MAX_SEED)] = 0
    sampling_pattern: Literal["TABULATED_SOBOL", "BLUE_NOISE"] = "TABULATED_SOBOL"
    # Adaptive sampling and per-tile denoising change pixels at tile seams: pinned off.
    adaptive_sampling: Literal[False] = False
    denoise_tiles: Literal[False] = False
    # Optional denoising of the whole stitched frame only (never per tile).
    denoise_frame: bool = False
    colour: ColourManagement = ColourManagement()
    # The scene was saved for another engine (Eevee, Workbench) and the artist chose to render it
    # with Cycles instead: its look will differ from what they saw in Blender's viewport.
    cycles_instead: bool = False
    output: OutputFormat = OutputFormat()
    verification: VerificationParams = VerificationParams()
    requirements: Requirements = Requirements()

    @field_validator("scene_cid")
    @classmethod
    def _cid_shape(cls, value: str) -> str:
        if not _CID_RE.match(value):
            raise ValueError(f"{value!r} is not an IPFS CID (CIDv0 'Qm...' or CIDv1 base32 'b...')")
        return value

    @field_validator("frames")
    @classmethod
    def _frames_sorted_unique(cls, value: list[int]) -> list[int]:
        bad = [f for f in value if not 0 <= f <= MAX_FRAME]
        if bad:
            raise ValueError(f"frames must lie in 0..{MAX_FRAME}, got {bad[:5]}")
        if len(set(value)) != len(value):
            raise ValueError("frames must not repeat")
        # One order for one CID.
        return sorted(value)

    @model_validator(mode="after")
    def _grid_covers_frame(self) -> RenderManifest:
        try:
            check_grid(
                self.resolution.width,
                self.resolution.height,
                self.tile_grid.columns,
                self.tile_grid.rows,
            )
        except TileError as exc:
            raise ValueError(str(exc)) from None
        if self.tile_count > MAX_TILES:
            raise ValueError(f"{self.tile_count} tiles is more than the maximum {MAX_TILES}")
        if self.job_tile_count > MAX_JOB_TILES:
            raise ValueError(
                f"{self.job_tile_count:,} tiles over {len(self.frames)} frames; a job has at most "
                f"{MAX_JOB_TILES:,} (fewer frames or a coarser tile grid)"
            )
        return self

    @property
    def tile_count(self) -> int:
        """Tiles per frame."""
        return self.tile_grid.columns * self.tile_grid.rows

    @property
    def job_tile_count(self) -> int:
        """Tiles over all frames: what the job sells."""
        return self.tile_count * len(self.frames)

    def tiles(self) -> list[Rect]:
        """The tile rectangles of one frame, index = row * columns + column."""
        return tile_rects(
            self.resolution.width,
            self.resolution.height,
            self.tile_grid.columns,
            self.tile_grid.rows,
        )

    def tile(self, index: int) -> Rect:
        """One tile's rectangle."""
        tiles = self.tiles()
        if not 0 <= index < len(tiles):
            raise ManifestError(f"tile index {index} is outside 0..{len(tiles) - 1}")
        return tiles[index]

    def canonical_json(self) -> bytes:
        """The one byte form of this manifest: sorted keys, no whitespace, UTF-8."""
        return canonical_json(self.model_dump(mode="json"))

    def cid(self) -> str:
        """CIDv1 (raw leaves) of the canonical JSON, as Kubo's
        `add?cid-version=1&raw-leaves=true` computes it."""
        return manifest_cid(self)


def canonical_json(value: Any) -> bytes:
    """Sorted keys, compact separators, UTF-8, no NaN: the form every part hashes."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def manifest_cid(manifest: RenderManifest) -> str:
    """The IPFS CID (v1, raw leaves) of the manifest's canonical JSON."""
    hasher = CidHasher.for_ipfs_v1_raw_leaves()
    hasher.update(manifest.canonical_json())
    return str(hasher.finalize())


def _describe(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "manifest"
        msg = err["msg"].removeprefix("Value error, ")
        lines.append(f"{where}: {msg}")
    return "invalid render manifest: " + "; ".join(lines)


def build_manifest(**fields: Any) -> RenderManifest:
    """Validate keyword fields into a manifest, raising ManifestError with readable reasons."""
    try:
        return RenderManifest.model_validate(fields)
    except ValidationError as exc:
        raise ManifestError(_describe(exc)) from None


def parse_manifest(data: bytes | str) -> RenderManifest:
    """Parse manifest JSON (e.g. fetched from IPFS), raising ManifestError with readable reasons."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise ManifestError(f"a manifest is at most {MAX_MANIFEST_BYTES} bytes, got {len(data)}")
    try:
        return RenderManifest.model_validate_json(data)
    except ValidationError as exc:
        raise ManifestError(_describe(exc)) from None
