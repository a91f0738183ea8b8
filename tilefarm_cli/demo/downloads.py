"""The demo's frames from the server: each assembled frame's PNG and EXR, checked against the
CIDs the server announced (streamed to disk as `tilefarm fetch` does), written under `--out`."""

from typing import Any

import httpx

from tilefarm_cli.artist.downloads import download_checked
from tilefarm_cli.artist.fetch import frame_name
from tilefarm_cli.demo.options import DemoOptions
from tilefarm_cli.demo.summary import FrameResult


def download_frames(
    api: httpx.Client, options: DemoOptions, job_id: int, frames: list[dict[str, Any]]
) -> list[FrameResult]:
    """Each assembled frame's PNG and EXR from the server, checked against their CIDs."""
    out_dir = options.out_dir / f"job-{job_id}"
    results = []
    by_frame = {int(f["frame"]): f for f in frames}
    for number in options.frames:
        info = by_frame.get(number)
        if info is None or info.get("status") != "assembled":
            reason = (info or {}).get("error") or "the server has not assembled it"
            results.append(FrameResult(frame=number, status=f"not assembled: {reason}"))
            continue
        result = FrameResult(
            frame=number, status="assembled", missing_tiles=info.get("missing_tiles") or [],
            png_cid=info.get("png_cid"),
            exr_cid=info.get("exr_cid"), png_url=options.server_url + info["png_url"],
            exr_url=options.server_url + info["exr_url"],
        )  # fmt: skip
        for kind in ("png", "exr"):
            cid = info.get(f"{kind}_cid")
            if cid is None:
                continue
            path = out_dir / frame_name(number, kind)
            download_checked(api, info[f"{kind}_url"], path, cid, f"frame {number} ({kind})")
            setattr(result, f"{kind}_file", path)
        results.append(result)
    return results
