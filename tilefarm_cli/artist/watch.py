"""`tilefarm watch`: a job followed through the server's API until watching it is over (every
frame assembled and the film made, or the job completed on chain with `--until completed`), each
look handed to a view; a job the server does not know yet is waited for a while (the server's
indexer follows the chain a few blocks behind a fresh post)."""

import time
from collections.abc import Callable

import httpx

from tilefarm_cli.artist import client
from tilefarm_cli.artist.answers import FilmAnswer, FrameAnswer, JobAnswer
from tilefarm_cli.artist.errors import ArtistError
from tilefarm_cli.artist.eta import Eta
from tilefarm_cli.artist.job_params import seconds_text
from tilefarm_cli.artist.tile_states import JobState, Until, finish, job_state

UNKNOWN_JOB_WAIT_S = 120.0


def _film(
    api: httpx.Client, job_id: int, detail: JobAnswer, frames: list[FrameAnswer]
) -> FilmAnswer | None:
    """The film, asked once every frame is assembled (none for one frame)."""
    if detail.frame_count <= 1:
        return None
    if not frames or any(f.status != "assembled" for f in frames):
        return FilmAnswer(status="pending")
    return client.film(api, job_id)


def look(api: httpx.Client, job_id: int, until: Until) -> JobState | None:
    """The job's state now (None while the server does not know the job)."""
    detail = client.job_family(api, job_id)
    if detail is None:
        return None
    listed = client.frames(api, job_id)
    if listed.error:
        raise ArtistError(f"the server cannot list job {job_id}'s frames: {listed.error}")
    film = _film(api, job_id, detail, listed.frames)
    return finish(job_state(detail, listed.frames, film), until)


def watch(
    api: httpx.Client,
    job_id: int,
    on_look: Callable[[JobState, bool], None],
    *,
    until: Until = "frames",
    interval: float = 2.0,
    timeout: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> JobState:
    """Look at the job every `interval` seconds, calling `on_look(state, changed)` each time,
    until it is done; the last state. Gives up after `timeout` seconds (None: never)."""
    started, eta, last = clock(), Eta(), None
    while True:
        state = look(api, job_id, until)
        now = clock()
        if state is None:
            if now - started > UNKNOWN_JOB_WAIT_S:
                raise ArtistError(
                    f"the server at {api.base_url} knows no job {job_id} after "
                    f"{seconds_text(now - started)}: check the job id (and the server)"
                )
        else:
            state.eta_seconds = eta.update(now, state.committed, state.verified, state.tiles)
            key = state.change_key()
            on_look(state, key != last)
            last = key
            if state.done:
                return state
            if timeout is not None and now - started > timeout:
                raise ArtistError(
                    f"job {job_id} is still at '{state.stage}' after {seconds_text(timeout)} "
                    "(--timeout); it goes on: watch it again later"
                )
        sleep(interval)
