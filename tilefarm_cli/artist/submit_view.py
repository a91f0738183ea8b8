"""What `tilefarm submit` prints for people once the job is posted (`--json` prints the
`Submitted` object instead): the job, its page, the transaction and what it cost at most."""

from tilefarm.adapters.console import console
from tilefarm_cli.artist.job_params import eth_text, final_deadline_text
from tilefarm_cli.artist.submit import Submitted


def show_submitted(posted: Submitted, server: str) -> None:
    """The posted job on stdout, one line per fact, and how to follow it."""
    console.print(f"job {posted.job_id} posted", style="bold green", highlight=False)
    rows = {
        "page": posted.page_url,
        "transaction": f"{posted.tx_hash} (block {posted.block_number}, chain {posted.chain_id})",
        "frames": f"{posted.frames} ({posted.frame_count} frames, {posted.tiles} tiles in "
        f"{posted.tile_grid})",
        "render": f"{posted.resolution} at {posted.samples} sample"
        f"{'' if posted.samples == 1 else 's'}, "
        f"{posted.colour.view_transform} view, look {posted.colour.look}",
        "deposit": f"{eth_text(posted.deposit_wei)} (unused escrow comes back)",
        "gas": f"{posted.gas_used} used of a {posted.gas_limit} limit, its cost bounded at "
        f"{eth_text(posted.max_gas_cost_wei)} (--max-gas-fee {eth_text(posted.max_gas_fee_wei)})",
        "final deadline": final_deadline_text(posted.final_deadline),
        "scene": posted.scene_cid,
        "manifest": posted.manifest_cid,
    }
    for key, value in rows.items():
        console.print(f"  {key}: {value}", markup=False, highlight=False)
    console.print(f"follow it: tilefarm watch {posted.job_id} --server {server}", markup=False)
