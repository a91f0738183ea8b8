"""What `tilefarm demo` runs: the scene, the job and the local processes, with defaults that
render the built-in showcase scene through three workers in about a minute on two cores."""

from pathlib import Path

from pydantic import BaseModel, Field, model_validator

from tilefarm.adapters.chain.events import JobParams
from tilefarm.adapters.paths import DEFAULT_STATE_DIR, PROJECT_ROOT
from tilefarm_cli.scenes import BUILTIN_SCENES

GWEI = 10**9
# The pixel-samples of a tile offered at up to 10^15 wei (a 480x270 frame in 3x2 tiles at 32
# samples); the price cap scales from there with the work of a tile.
PRICED_TILE_WORK = 480 * 270 * 32 / 6


class DemoOptions(BaseModel):
    """One demo run. Ports default to the local stack's usual ones; `state_dir` is wiped at
    start (it belongs to the demo: chain, IPFS repo, server database, workers' keys)."""

    scene: str = Field("showcase", description="built-in scene to post")
    frames: list[int] = Field([1, 12, 24], min_length=1, max_length=24)
    # About a minute of rendering on two cores: long enough that the protocol's fixed latency
    # (auction windows, verifier draw) is a small part of the job, as for real jobs.
    width: int = Field(960, ge=16, le=4096)
    height: int = Field(540, ge=16, le=4096)
    columns: int = Field(3, ge=1, le=64)
    rows: int = Field(2, ge=1, le=64)
    samples: int = Field(64, ge=1, le=4096)
    seed: int = Field(7, ge=0)
    # At least two: a worker never verifies its own results, so one alone is never checked.
    workers: int = Field(3, ge=2, le=8, description="worker processes (anvil accounts 2..)")
    # All cores each: while one worker verifies alone, it gets the whole machine.
    worker_threads: int = Field(0, ge=0, description="Cycles threads per worker; 0 = all cores")
    state_dir: Path = DEFAULT_STATE_DIR / "demo"
    out_dir: Path = PROJECT_ROOT / "out" / "demo"
    host: str = "127.0.0.1"
    server_port: int = Field(8000, ge=1, le=65535)
    chain_port: int = Field(8545, ge=1, le=65535)
    ipfs_api_port: int = Field(5001, ge=1, le=65535)
    ipfs_gateway_port: int = Field(8080, ge=1, le=65535)
    # The protocol's windows are seconds of chain time. Short ones keep the demo quick. A block
    # is mined every `block_seconds`; each new block wakes the workers (WebSocket), who otherwise
    # poll every `poll_seconds`: polling faster costs CPU the renders need. The bid window is
    # waited out; the reveal window is not (bids settle once all are open), so it is roomy for
    # a loaded machine: a reveal may only start in the first block after the bid window.
    bid_window: int = Field(2, ge=1)
    reveal_window: int = Field(20, ge=1)
    render_window: int = Field(900, ge=10)
    verify_window: int = Field(300, ge=10)
    block_seconds: float = Field(1.0, gt=0, le=30)
    poll_seconds: float = Field(1.0, gt=0, le=10)
    progress_seconds: float = Field(1.0, gt=0, le=10, description="how often progress is read")
    max_price_per_tile: int | None = Field(
        None, ge=1, description="wei; default: scaled with the pixel-samples of a tile"
    )
    verify_fee_per_tile: int = Field(10**12, ge=0, description="wei")
    bid_bond: int | None = Field(
        None, ge=1, description="wei; default: the market's least bond for this job"
    )
    timeout_seconds: float = Field(900.0, gt=0, description="give up on the job after this")
    # Tiles a worker took and never delivered go back on the market until they sell, in up to
    # `max_rounds` more rounds; re-offering ends `timeout_seconds` after posting.
    max_rounds: int = Field(3, ge=0, le=8, description="re-offer rounds after the first")
    kill_worker: int | None = Field(
        None,
        ge=1,
        description="SIGKILL this worker (1-based) once it has won tiles, never restart it",
    )

    @model_validator(mode="after")
    def _check(self) -> "DemoOptions":
        if self.scene not in BUILTIN_SCENES:
            raise ValueError(
                f"scene must be one of {', '.join(BUILTIN_SCENES)}, got {self.scene!r}"
            )
        if self.frames != sorted(set(self.frames)) or self.frames[0] < 0:
            raise ValueError(f"frames must be distinct, ascending and >= 0, got {self.frames}")
        if self.kill_worker is not None and self.kill_worker > self.workers:
            raise ValueError(f"--kill-worker {self.kill_worker}: there are {self.workers} workers")
        if self.kill_worker is not None and self.max_rounds == 0:
            raise ValueError("--kill-worker needs re-offer rounds: its tiles must go round again")
        return self

    @property
    def tiles_per_frame(self) -> int:
        return self.columns * self.rows

    @property
    def tile_count(self) -> int:
        return self.tiles_per_frame * len(self.frames)

    @property
    def tiles_per_worker(self) -> int:
        """Each worker bids for its share, so the job is split between all of them."""
        return -(-self.tile_count // self.workers)

    @property
    def price_cap(self) -> int:
        """The maximum price per tile the artist offers: `max_price_per_tile`, or 10^15 wei for a
        tile of the default job scaled with the work of this job's tiles, so that bigger jobs
        still find bidders (workers price by render time)."""
        if self.max_price_per_tile is not None:
            return self.max_price_per_tile
        work = self.width * self.height * self.samples / self.tiles_per_frame
        return max(10**15, int(10**15 * work / PRICED_TILE_WORK))

    def job_params(self, least_bid_bond: int = 1, now: int = 0) -> JobParams:
        """The job's parameters; the bid bond is `bid_bond` or, unset, `least_bid_bond`; rounds
        may open until `timeout_seconds` after `now` (chain time)."""
        return JobParams(
            tile_count=self.tile_count,
            frame_count=len(self.frames),
            max_price_per_tile=self.price_cap,
            verify_fee_per_tile=self.verify_fee_per_tile,
            bid_bond=self.bid_bond if self.bid_bond is not None else least_bid_bond,
            bid_window=self.bid_window,
            reveal_window=self.reveal_window,
            render_window=self.render_window,
            verify_window=self.verify_window,
            max_rounds=self.max_rounds,
            final_deadline=now + int(self.timeout_seconds) if self.max_rounds else 0,
        )

    @property
    def server_url(self) -> str:
        return f"http://{self.host}:{self.server_port}"
