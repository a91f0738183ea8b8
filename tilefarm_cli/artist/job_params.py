"""What an artist chooses for a job, read from the command line's text, with the defaults of the
page's job form: frames, resolution, samples, tile grid, prices in ETH, windows and deadlines.

Pure: the choices become a render manifest and the contract's `JobParams`; no HTTP and no chain
here. Every mistake is reported before anything is uploaded or signed.
"""

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tilefarm import amounts
from tilefarm.adapters.chain.events import JobParams
from tilefarm.amounts import AmountError
from tilefarm.colour import ColourManagement
from tilefarm.frames import format_frames, parse_frames
from tilefarm.manifest import ManifestError, RenderManifest, build_manifest
from tilefarm_cli.artist.errors import ArtistError

# The page's job form (frontend/src/pages/job-form.ts): the same job from either front door.
DEFAULT_SAMPLES = 64
DEFAULT_GRID = "4x2"
DEFAULT_MAX_PRICE = "0.001"
DEFAULT_VERIFY_FEE = "0.000001"
DEFAULT_BID_BOND = "0.0001"
DEFAULT_BID_WINDOW = 60
DEFAULT_REVEAL_WINDOW = 60
DEFAULT_RENDER_WINDOW = 3600
DEFAULT_VERIFY_WINDOW = 1800
DEFAULT_ROUNDS = 2
DEFAULT_FINAL_DEADLINE = "3d"  # after the first reveal window closes
MAX_ROUNDS = 8  # the contract's MAX_ROUNDS
DEFAULT_RECEIPT_TIMEOUT = 300.0  # seconds `submit` waits for postJob to be mined

_PAIR = re.compile(r"^\s*(\d+)\s*[xX\u00d7]\s*(\d+)\s*$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}


# Amounts and durations for people, as every program says them (`tilefarm/amounts.py`).
eth_text = amounts.eth_text
seconds_text = amounts.duration_text


class BadChoice(ArtistError):
    """A job setting that cannot be used; the message names the option and what it accepts."""


def parse_pair(text: str, option: str, example: str) -> tuple[int, int]:
    """Two whole numbers written `AxB` (e.g. `1920x1080`), both at least 1."""
    match = _PAIR.match(text)
    if match is None or int(match[1]) < 1 or int(match[2]) < 1:
        raise BadChoice(f"{option} {text!r}: write two whole numbers of at least 1, e.g. {example}")
    return int(match[1]), int(match[2])


def parse_frame_list(text: str) -> list[int]:
    """`--frames` in the page's grammar ("1", "1-240", "1-240x2", "1,5,9-12")."""
    try:
        return parse_frames(text)
    except ValueError as exc:
        raise BadChoice(f"--frames {text!r}: {exc}") from None


def parse_eth(text: str, option: str, *, zero_allowed: bool = False) -> int:
    """An amount of ETH written in decimal (`0.001`), in wei; at most 18 decimals
    (`tilefarm.amounts.parse_eth`, the refusal naming `option`)."""
    try:
        return amounts.parse_eth(text, zero_allowed=zero_allowed)
    except AmountError as exc:
        raise BadChoice(f"{option} {exc}") from None


def parse_deadline(text: str, after: int) -> int:
    """Unix time of `--final-deadline`: a duration after `after` ("3d", "72h", "90m", "600s"),
    or a date and time ("2030-01-31T18:00", local time unless it names its offset)."""
    if (match := _DURATION.match(text)) is not None:
        return after + int(float(match[1]) * _UNITS[match[2]])
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadChoice(
            f"--final-deadline {text!r}: write a duration after the first reveal window (3d, "
            "72h, 90m) or a date and time like 2030-01-31T18:00"
        ) from None
    return int(moment.timestamp())  # a naive time is local time, as the page reads its field


class SceneFacts(BaseModel):
    """What the server read from the uploaded scene (`ScenePublic.info`) that the defaults come
    from; fields the server adds later are ignored."""

    model_config = ConfigDict(extra="ignore")

    scene: str = ""
    frame_start: int
    frame_end: int
    frame_step: int = 1
    width: int
    height: int
    resolution_percentage: int = 100
    samples: int | None = None
    engine: str = "CYCLES"
    fps: float = 24.0
    # The scene's colour management as saved (raw names; `colour.manifest_colour` reads it).
    colour: dict[str, Any] | None = None

    @property
    def output_size(self) -> tuple[int, int]:
        """The size Blender renders: the resolution times its percentage, rounded as the page
        rounds it (halves up)."""
        scale = Decimal(self.resolution_percentage) / 100
        return tuple(  # type: ignore[return-value]
            max(1, int(Decimal(side) * scale + Decimal("0.5")))
            for side in (self.width, self.height)
        )

    @property
    def frame_range(self) -> str:
        """The scene's own frame range with its step, in the frames grammar."""
        last = max(self.frame_start, self.frame_end)
        return format_frames(range(self.frame_start, last + 1, max(1, self.frame_step)))


class JobChoices(BaseModel):
    """One job as chosen: the manifest's settings and the contract's parameters. Amounts are
    wei; `None` for the bid bond means the page's default, raised to the market's least."""

    frames: list[int] = Field(min_length=1)
    width: int
    height: int
    samples: int
    columns: int
    rows: int
    seed: int = 0
    colour: ColourManagement = ColourManagement()
    cycles_instead: bool = False
    max_price_wei: int
    verify_fee_wei: int
    bid_bond_wei: int | None = None
    bid_window: int = Field(DEFAULT_BID_WINDOW, ge=1)
    reveal_window: int = Field(DEFAULT_REVEAL_WINDOW, ge=1)
    render_window: int = Field(DEFAULT_RENDER_WINDOW, ge=1)
    verify_window: int = Field(DEFAULT_VERIFY_WINDOW, ge=1)
    max_rounds: int = Field(DEFAULT_ROUNDS, ge=0, le=MAX_ROUNDS)
    final_deadline: str = DEFAULT_FINAL_DEADLINE

    @property
    def tile_count(self) -> int:
        return self.columns * self.rows * len(self.frames)

    def manifest(self, scene_cid: str) -> RenderManifest:
        """The render manifest of these choices for the uploaded scene."""
        try:
            return build_manifest(
                scene_cid=scene_cid,
                frames=self.frames,
                resolution={"width": self.width, "height": self.height},
                tile_grid={"columns": self.columns, "rows": self.rows},
                samples=self.samples,
                seed=self.seed,
                colour=self.colour,
                cycles_instead=self.cycles_instead,
            )
        except ManifestError as exc:
            raise BadChoice(f"these settings make no valid job: {exc}") from None

    def bid_bond(self, least: int) -> int:
        """The bid bond: the one chosen (refused below the market's least), else the page's
        default, raised to the least the market takes for a job this size."""
        if self.bid_bond_wei is None:
            return max(parse_eth(DEFAULT_BID_BOND, "--bid-bond"), least)
        if self.bid_bond_wei < least:
            raise BadChoice(
                f"--bid-bond {eth_text(self.bid_bond_wei)} is below the least this market takes "
                f"for {self.tile_count} tiles at {eth_text(self.max_price_wei)} each: "
                f"{eth_text(least)}"
            )
        return self.bid_bond_wei

    def job_params(self, least_bid_bond: int, now: int) -> JobParams:
        """The contract's parameters, posted at chain time `now`; the final deadline must fall
        after the first reveal window closes (the contract's rule), none without rounds."""
        reveal_end = now + self.bid_window + self.reveal_window
        deadline = 0
        if self.max_rounds > 0:
            deadline = parse_deadline(self.final_deadline, reveal_end)
            if deadline <= reveal_end:
                closes = (
                    datetime.fromtimestamp(reveal_end).astimezone().isoformat(timespec="seconds")
                )
                raise BadChoice(
                    f"--final-deadline {self.final_deadline!r} is before the first reveal window "
                    f"closes ({closes}); choose a later one, or --max-rounds 0"
                )
        return JobParams(
            tile_count=self.tile_count,
            frame_count=len(self.frames),
            max_price_per_tile=self.max_price_wei,
            verify_fee_per_tile=self.verify_fee_wei,
            bid_bond=self.bid_bond(least_bid_bond),
            bid_window=self.bid_window,
            reveal_window=self.reveal_window,
            render_window=self.render_window,
            verify_window=self.verify_window,
            max_rounds=self.max_rounds,
            final_deadline=deadline,
        )


def final_deadline_text(unix: int) -> str:
    """A final deadline for people (local time), or that there is none."""
    if unix == 0:
        return "none (no re-offer rounds)"
    return datetime.fromtimestamp(unix).astimezone().isoformat(timespec="seconds")
