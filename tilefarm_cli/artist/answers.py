"""What the artist commands read of the server's answers, as models: every answer is checked
where it is read, so that a server that leaves a key out or sends a value of the wrong type is
named with what was wrong (`BadAnswer`), never met as a `KeyError` later. Only the fields the
commands use are named; what a newer server adds is ignored."""

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from tilefarm_cli.artist.errors import BadAnswer
from tilefarm_cli.artist.job_params import SceneFacts


class Answer(BaseModel):
    """A server's answer: what this command reads of it."""

    model_config = ConfigDict(extra="ignore")


AnswerT = TypeVar("AnswerT", bound=Answer)


def read(model: type[AnswerT], body: Any, what: str, server: str) -> AnswerT:
    """`body` (JSON the server at `server` answered to `what`) as `model`, or `BadAnswer`
    naming the first fields that were wrong."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise BadAnswer(server, what, problems(exc)) from None


def problems(exc: ValidationError, most: int = 3) -> str:
    """A validation error in a few words: `seats.0.tile_count: Field required; ...`."""
    said = [
        f"{'.'.join(map(str, e['loc'])) or 'the body'}: {e['msg']}" for e in exc.errors()[:most]
    ]
    more = exc.error_count() - len(said)
    return "; ".join(said) + (f"; and {more} more" if more > 0 else "")


class ServerConfig(Answer):
    """`/api/config`: the chain the server follows, its RPC and its market."""

    chain_id: int | None = None  # null while the server's node does not answer
    rpc_url: str
    market_address: str | None = None  # null when the server follows no market


class SceneAnswer(Answer):
    """`POST /api/scenes`: the stored scene and what Blender read of it."""

    cid: str
    info: SceneFacts


class StoredManifest(Answer):
    cid: str


class SeatAnswer(Answer):
    state: str
    tile_count: int
    results_cid: str | None = None
    round: int = 0  # set by `client.job_family`: the re-offer round the seat is of


class RoundAnswer(Answer):
    round_id: int
    round: int


class JobAnswer(Answer):
    """`/api/jobs/{id}`: the job and its seats (with its rounds' seats, from `job_family`)."""

    job_id: int
    status: str
    tile_count: int
    frame_count: int = 0
    commits: int = 0
    reveals: int = 0
    seats: list[SeatAnswer] = []
    rounds: list[RoundAnswer] = []


class FrameAnswer(Answer):
    frame: int
    status: str  # "pending" or "assembled"
    png_cid: str | None = None
    exr_cid: str | None = None
    png_url: str
    exr_url: str
    error: str | None = None
    missing_tiles: list[int] = []


class FramesAnswer(Answer):
    """`/api/jobs/{id}/frames`."""

    frames: list[FrameAnswer] = []
    error: str | None = None


class FilmAnswer(Answer):
    """`/api/jobs/{id}/film`."""

    status: Literal["none", "pending", "ready", "failed"]
    mp4_cid: str | None = None
    zip_cid: str | None = None
    mp4_url: str | None = None
    zip_url: str | None = None
    error: str | None = None
