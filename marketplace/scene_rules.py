"""What a scene must be to be rendered as its artist saved it: made for Cycles, and carrying
every outside file it names. Plain rules on what a Blender child read from the .blend
(`SceneInfo`); the child never reads the outside files themselves, so a file "missing" here is
one the .blend does not carry (packed), whatever any disk holds: no worker has it either.

Each rule can be waived by the uploader, who then knows what they get: `cycles_instead` renders
an Eevee or Workbench scene with Cycles (the manifest records it), `allow_missing` renders
without the files (each worker renders as if they were not there).
"""

from marketplace.errors import EngineNotCycles, MarketplaceError, MissingFiles, Unprocessable
from tilefarm.adapters.blender.protocol import ExternalFile, SceneInfo
from tilefarm.manifest import RenderManifest

CYCLES = "CYCLES"
# Blender's render engines, by the names its interface shows. Blender 4.2 to 4.4 called Eevee
# `BLENDER_EEVEE_NEXT`.
ENGINE_NAMES = {
    CYCLES: "Cycles",
    "BLENDER_EEVEE": "Eevee",
    "BLENDER_EEVEE_NEXT": "Eevee",
    "BLENDER_WORKBENCH": "Workbench",
}
# Files named in a refusal's message; the details list every one the child listed.
FILES_IN_MESSAGE = 10


def engine_name(engine: str) -> str:
    """A render engine as Blender's interface names it (an add-on's engine: its raw id)."""
    return ENGINE_NAMES.get(engine, engine)


def check_scene(
    info: SceneInfo, filename: str, *, allow_missing: bool, cycles_instead: bool
) -> None:
    """Refuse a scene that would not render as saved, unless the upload waived that rule: the
    engine first (re-saving for Cycles may change which files matter), then the files."""
    if info.engine != CYCLES and not cycles_instead:
        raise EngineNotCycles(
            f"{filename} is set to render with {engine_name(info.engine)}; the farm renders "
            "with Cycles only: switch it to Cycles (Render properties > Render Engine) and "
            "upload again, or upload with cycles_instead=true to render it with Cycles as it is",
            details={"engine": info.engine},
        )
    missing = info.missing_files
    if missing and not allow_missing:
        # Unpacked files are listed first: when every listed file is missing, so may be those
        # beyond the list.
        more = info.external_files_more if len(missing) == len(info.external_files) else 0
        raise MissingFiles(
            missing_message(filename, missing, more),
            details={"missing_files": [f.model_dump() for f in missing], "more": more},
        )


def missing_message(filename: str, missing: list[ExternalFile], more: int) -> str:
    """Which files a scene names without carrying them, and what to do about it."""
    count = f"at least {len(missing)}" if more else str(len(missing))
    shown = ", ".join(f"{f.path} ({f.kind.replace('_', ' ')})" for f in missing[:FILES_IN_MESSAGE])
    if len(missing) > FILES_IN_MESSAGE:
        shown += f" and {len(missing) - FILES_IN_MESSAGE} more"
    noun = "file" if count == "1" else "files"
    libraries = any(f.kind == "library" for f in missing)
    local = " and make linked data local (Object > Relations > Make Local)" if libraries else ""
    return (
        f"{filename} names {count} {noun} it does not carry: {shown}; pack them (File > "
        f"External Data > Pack Resources){local} or upload with allow_missing=true"
    )


def manifest_problem(info: SceneInfo, manifest: RenderManifest) -> MarketplaceError | None:
    """Why a manifest may not be made for this scene: its engine (`manifest_engine_problem`),
    or a working space other than the scene's. The working space is the scene's own (the tiles
    come back in it): a manifest naming another would make every worker refuse the job."""
    engine = manifest_engine_problem(info, manifest.cycles_instead)
    if engine is not None:
        return engine
    space = info.colour.working_space if info.colour is not None else None
    if space is not None and space != manifest.colour.working_space:
        return Unprocessable(
            f"the scene renders in the working space {space!r}; the manifest's "
            f"colour.working_space must be {space!r} too, not {manifest.colour.working_space!r}",
            details={"working_space": space},
        )
    return None


def manifest_engine_problem(info: SceneInfo, cycles_instead: bool) -> EngineNotCycles | None:
    """Why a manifest may not be made for this scene as it stands: a scene saved for another
    engine is rendered with Cycles only when the manifest says so (and the job records it)."""
    if info.engine == CYCLES or cycles_instead:
        return None
    return EngineNotCycles(
        f"the scene is set to render with {engine_name(info.engine)}; set cycles_instead to "
        "true in the manifest to render it with Cycles, or switch the scene to Cycles and "
        "upload it again",
        details={"engine": info.engine},
    )
