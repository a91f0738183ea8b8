"""`tilefarm submit`: a .blend to a posted job, the way the page does it, from a script.

Everything that can be checked locally is checked before anything is uploaded or signed (the
frames, sizes and amounts, the keystore and its password, the server's market and chain: the
pinned ones, and the market's code against this checkout's build). Then the scene is packed
into a copy (its assets inside), uploaded, its manifest stored with the scene's own look, the
market's quote checked against what the job can cost, and `postJob` signed with the artist's
key and sent to the chain the server follows (through its node only if that is on this
machine, or the chain and market are pinned: `node_trust`); the chain, market, deposit and the
most its gas may cost (at most `--max-gas-fee`) are said before it is signed, its transaction's
hash before it is sent. Defaults are the page's job form, and the scene's own frames, size and
samples.
"""

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from web3 import Web3

from tilefarm.colour import ColourManagement
from tilefarm.frames import format_frames
from tilefarm_cli.artist import chain, client, posting
from tilefarm_cli.artist.answers import SceneAnswer, read
from tilefarm_cli.artist.colour import manifest_colour
from tilefarm_cli.artist.deposit import (
    DEFAULT_MAX_PROTOCOL_FEE,
    check_fee,
    checked_deposit,
    parse_percent,
)
from tilefarm_cli.artist.errors import ApiError, ArtistError
from tilefarm_cli.artist.gas import DEFAULT_MAX_GAS_FEE
from tilefarm_cli.artist.job_params import (
    DEFAULT_BID_WINDOW,
    DEFAULT_FINAL_DEADLINE,
    DEFAULT_GRID,
    DEFAULT_MAX_PRICE,
    DEFAULT_RECEIPT_TIMEOUT,
    DEFAULT_RENDER_WINDOW,
    DEFAULT_REVEAL_WINDOW,
    DEFAULT_ROUNDS,
    DEFAULT_SAMPLES,
    DEFAULT_VERIFY_FEE,
    DEFAULT_VERIFY_WINDOW,
    MAX_ROUNDS,
    BadChoice,
    JobChoices,
    SceneFacts,
    parse_eth,
    parse_frame_list,
    parse_pair,
)
from tilefarm_cli.artist.node_trust import on_loopback
from tilefarm_cli.artist.pack import pack_copy

# What the server's refusals of a scene need from the command line to be accepted.
REFUSAL_HINTS = {
    "missing_files": "pass --allow-missing to post it anyway (workers render without those files)",
    "engine_not_cycles": "pass --cycles-instead to render it with Cycles (its look may differ)",
}


class SubmitOptions(BaseModel):
    """What `tilefarm submit` was asked, as typed (text is parsed by `submit`)."""

    scene: Path
    server: str
    keystore: Path
    frames: str | None = None  # default: the scene's frame range and step
    resolution: str | None = None  # default: the scene's, times its percentage
    samples: int | None = Field(None, ge=1)  # default: the scene's, else 64
    grid: str = DEFAULT_GRID
    seed: int = Field(0, ge=0)
    max_price: str = DEFAULT_MAX_PRICE
    verify_fee: str = DEFAULT_VERIFY_FEE
    bid_bond: str | None = None
    bid_window: int = Field(DEFAULT_BID_WINDOW, ge=1)
    reveal_window: int = Field(DEFAULT_REVEAL_WINDOW, ge=1)
    render_window: int = Field(DEFAULT_RENDER_WINDOW, ge=1)
    verify_window: int = Field(DEFAULT_VERIFY_WINDOW, ge=1)
    max_rounds: int = Field(DEFAULT_ROUNDS, ge=0, le=MAX_ROUNDS)
    final_deadline: str = DEFAULT_FINAL_DEADLINE
    allow_missing: bool = False
    cycles_instead: bool = False
    pack: bool = True
    pack_from: list[Path] = []  # folders besides the scene's own whose files may be packed
    rpc_url: str | None = None
    market: str | None = None  # pinned: the server's market must be this one
    chain_id: int | None = Field(None, ge=1)  # pinned: the server's chain must be this one
    max_protocol_fee: str = DEFAULT_MAX_PROTOCOL_FEE  # percent
    max_gas_fee: str = DEFAULT_MAX_GAS_FEE  # ETH: the most postJob's gas may cost
    receipt_timeout: float = Field(DEFAULT_RECEIPT_TIMEOUT, gt=0)


class Submitted(BaseModel):
    """A posted job: what `submit` prints (`--json`: this object)."""

    job_id: int
    page_url: str
    job_api_url: str
    tx_hash: str  # computed from the signed transaction, said before it was sent
    block_number: int
    gas_limit: int
    max_fee_per_gas_wei: int
    max_gas_cost_wei: int  # gas limit x max fee per gas: the most its gas could cost
    max_gas_fee_wei: int  # the cap it was under (--max-gas-fee)
    gas_used: int
    chain_id: int
    market: str
    artist: str
    scene_cid: str
    manifest_cid: str
    deposit_wei: int
    frames: str
    frame_count: int
    tiles: int
    resolution: str
    tile_grid: str
    samples: int
    colour: ColourManagement
    cycles_instead: bool
    max_price_per_tile_wei: int
    final_deadline: int
    packed: list[str]
    warnings: list[str]


class _Checked(BaseModel):
    """The options parsed before the scene is read."""

    frames: list[int] | None
    size: tuple[int, int] | None
    grid: tuple[int, int]
    max_price: int
    verify_fee: int
    bid_bond: int | None
    max_fee_bps: int
    max_gas_fee: int


def _check(o: SubmitOptions) -> _Checked:
    if not o.scene.is_file():
        raise ArtistError(f"no scene at {o.scene}: give the path of a .blend file")
    if o.market is not None and not Web3.is_address(o.market):
        raise BadChoice(f"--market {o.market!r}: give the market's address, 0x and 40 hex digits")
    return _Checked(
        max_fee_bps=parse_percent(o.max_protocol_fee, "--max-protocol-fee"),
        max_gas_fee=parse_eth(o.max_gas_fee, "--max-gas-fee"),
        frames=parse_frame_list(o.frames) if o.frames is not None else None,
        size=parse_pair(o.resolution, "--resolution", "1920x1080") if o.resolution else None,
        grid=parse_pair(o.grid, "--grid", "4x2"),
        max_price=parse_eth(o.max_price, "--max-price"),
        verify_fee=parse_eth(o.verify_fee, "--verify-fee", zero_allowed=True),
        bid_bond=parse_eth(o.bid_bond, "--bid-bond") if o.bid_bond is not None else None,
    )


def _choices(
    o: SubmitOptions, c: _Checked, facts: SceneFacts, warn: Callable[[str], None]
) -> JobChoices:
    frames = c.frames if c.frames is not None else parse_frame_list(facts.frame_range)
    width, height = c.size or facts.output_size
    colour, problem = manifest_colour(facts.colour)
    if problem:
        warn(problem)
    return JobChoices(
        frames=frames, width=width, height=height,
        samples=o.samples or facts.samples or DEFAULT_SAMPLES,
        columns=c.grid[0], rows=c.grid[1], seed=o.seed, colour=colour,
        cycles_instead=o.cycles_instead and facts.engine != "CYCLES",
        max_price_wei=c.max_price, verify_fee_wei=c.verify_fee, bid_bond_wei=c.bid_bond,
        bid_window=o.bid_window, reveal_window=o.reveal_window, render_window=o.render_window,
        verify_window=o.verify_window, max_rounds=o.max_rounds, final_deadline=o.final_deadline,
    )  # fmt: skip


def _upload(api: Any, blend: Path, o: SubmitOptions) -> dict[str, Any]:
    try:
        return client.upload_scene(
            api, blend, filename=o.scene.name,
            allow_missing=o.allow_missing, cycles_instead=o.cycles_instead,
        )  # fmt: skip
    except ApiError as exc:
        hint = REFUSAL_HINTS.get(exc.code)
        if hint is None:
            raise
        raise ArtistError(f"the server refused {o.scene.name}: {exc.message}; {hint}") from None


def submit(
    o: SubmitOptions,
    password: Callable[[], str],
    step: Callable[[str], None] = lambda _m: None,
    warn: Callable[[str], None] = lambda _m: None,
    announce: Callable[[str], None] | None = None,
) -> Submitted:
    """Pack, upload, store the manifest, sign and send `postJob`; the posted job. `password` is
    asked only once the options and the keystore's file are found good. `announce` hears what
    must be said even when the output is JSON: the chain, market, deposit and gas bound before
    signing, the transaction's hash before it is sent (default: `step`)."""
    notes: list[str] = []
    say = announce or step

    def note(message: str) -> None:
        notes.append(message)
        warn(message)

    checked = _check(o)
    if not o.keystore.is_file():
        raise ArtistError(f"no keystore at {o.keystore}; {chain.KEYSTORE_HINT}")
    artist = chain.unlock_artist_key(o.keystore, password())
    with client.open_server(o.server) as api, tempfile.TemporaryDirectory() as scratch:
        server = client.server_of(api)
        pins = chain.Pins(market=o.market, chain_id=o.chain_id, rpc_url=o.rpc_url)
        market = chain.connect_market(client.server_config(api), server, pins)
        step(
            f"the market {market.client.address} on chain {market.chain_id} ({market.checked}); "
            f"artist {artist.address}"
        )
        if market.rpc_from_server and not on_loopback(market.rpc_url):
            note(  # allowed only with --chain-id and --market pinned (node_trust)
                f"the market's code, fee and quote were read through the server's own node "
                f"({market.rpc_url}), which could answer anything: your --chain-id and --market "
                "keep the transaction to that market on that chain, but pass --rpc-url with a "
                "node you run or trust so that these checks do not rest on the server's word"
            )
        with chain.node_failures(market.rpc_url):
            config = market.client.config()
        check_fee(config.protocol_fee_bps, checked.max_fee_bps)  # before anything is uploaded
        blend, packed = o.scene, []
        if o.pack:
            step(f"packing a copy of {o.scene.name} with its images, fonts, sounds and libraries")
            copy = pack_copy(o.scene, Path(scratch), o.pack_from)
            blend, packed = copy.path, copy.packed
            for outside in copy.still_outside:
                note(
                    f"{outside} is not inside the copy: it is missing on this disk, outside the "
                    "scene's folder (name its folder with --pack-from to pack it), or of a kind "
                    "Blender cannot pack (caches, movie clips, image sequences)"
                )
        step(f"uploading {o.scene.name} ({blend.stat().st_size / 2**20:.1f} MiB) to {server}")
        scene = read(SceneAnswer, _upload(api, blend, o), "the scene's upload", server)
        choices = _choices(o, checked, scene.info, note)
        manifest = choices.manifest(scene.cid)
        with chain.node_failures(market.rpc_url):
            params = choices.job_params(
                config.min_bid_bond(choices.tile_count, choices.max_price_wei),
                chain.chain_now(market.client),
            )
            quote = market.client.quote(
                params.tile_count, params.max_price_per_tile, params.verify_fee_per_tile
            )
            deposit = checked_deposit(quote, params, config.protocol_fee_bps, checked.max_fee_bps)
            chain.check_funds(market.client, artist.address, params, deposit)  # before storing
        step(f"storing the manifest: {len(choices.frames)} frames, {choices.tile_count} tiles")
        manifest_cid = client.store_manifest(api, manifest)
        job_id, receipt, gas = posting.post_job(
            market, artist, params, manifest_cid, deposit,
            max_gas_fee=checked.max_gas_fee, announce=say, timeout=o.receipt_timeout,
        )  # fmt: skip
    return Submitted(
        job_id=job_id, page_url=f"{server}/#/jobs/{job_id}",
        job_api_url=f"{server}/api/jobs/{job_id}", tx_hash=receipt.tx_hash,
        block_number=receipt.block_number, gas_limit=gas.gas_limit,
        max_fee_per_gas_wei=gas.max_fee_per_gas_wei, max_gas_cost_wei=gas.max_gas_cost_wei,
        max_gas_fee_wei=gas.max_gas_fee_wei, gas_used=receipt.gas_used, chain_id=market.chain_id,
        market=market.client.address, artist=artist.address, scene_cid=scene.cid,
        manifest_cid=manifest_cid,
        deposit_wei=deposit,
        frames=format_frames(choices.frames), frame_count=len(choices.frames),
        tiles=choices.tile_count, resolution=f"{choices.width}x{choices.height}",
        tile_grid=f"{choices.columns}x{choices.rows}", samples=choices.samples,
        colour=choices.colour, cycles_instead=choices.cycles_instead,
        max_price_per_tile_wei=params.max_price_per_tile, final_deadline=params.final_deadline,
        packed=packed, warnings=notes,
    )  # fmt: skip
