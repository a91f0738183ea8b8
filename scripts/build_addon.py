"""Builds the Blender add-on as an extension zip: `python scripts/build_addon.py` (`make addon`)
writes `build/addon/tilefarm-<version>.zip` from `addon/tilefarm/`, its `blender_manifest.toml`
at the zip's root, as Blender's "Install from Disk" expects.

The zip is deterministic: its entries are sorted and carry one fixed timestamp and mode, so the
same sources give the same bytes (and the same checksum) on every machine. The manifest is
checked first with tomllib: the fields Blender requires are there, and its version is
tilefarm's own (`tilefarm.__version__`), so a release never ships an add-on that claims another
version. (Blender's own validator, `blender --command extension validate`, runs in
tests/blender/test_addon.py.)
"""

from __future__ import annotations

import argparse
import sys
import tomllib
import zipfile
from pathlib import Path

from tilefarm import __version__

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "addon" / "tilefarm"
OUT_DIR = ROOT / "build" / "addon"
MANIFEST = "blender_manifest.toml"
# Every entry gets this timestamp (the earliest a zip can hold) and these permissions.
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
REQUIRED = (
    "schema_version", "id", "version", "name", "tagline", "maintainer", "type",
    "blender_version_min", "license",
)  # fmt: skip
TAGLINE_MAX = 64


class ManifestError(ValueError):
    """The extension's manifest is not one Blender (or this release) accepts; says which field."""


def check_manifest(text: str, version: str = __version__) -> dict[str, object]:
    """The manifest's fields, after checking what Blender requires of them and that its version
    is `version`."""
    try:
        manifest = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{MANIFEST} is not valid TOML: {exc}") from None
    missing = [key for key in REQUIRED if key not in manifest]
    if missing:
        raise ManifestError(f"{MANIFEST} lacks {', '.join(missing)}")
    if manifest["schema_version"] != "1.0.0":
        raise ManifestError(f'schema_version must be "1.0.0", not {manifest["schema_version"]!r}')
    if manifest["type"] != "add-on":
        raise ManifestError(f'type must be "add-on", not {manifest["type"]!r}')
    if manifest["version"] != version:
        raise ManifestError(
            f"{MANIFEST} says version {manifest['version']!r}, tilefarm is {version!r}: set "
            f'version = "{version}" in addon/tilefarm/{MANIFEST}'
        )
    tagline = str(manifest["tagline"])
    if len(tagline) > TAGLINE_MAX or tagline.endswith((".", "!", "?")):
        raise ManifestError(
            f"the tagline must be at most {TAGLINE_MAX} characters and not end with "
            f"punctuation: {tagline!r}"
        )
    licenses = manifest["license"]
    if not isinstance(licenses, list) or not all(
        isinstance(x, str) and x.startswith("SPDX:") for x in licenses
    ):
        raise ManifestError(f'license must be a list like ["SPDX:MIT"], not {licenses!r}')
    permissions = manifest.get("permissions", {})
    if not isinstance(permissions, dict) or not all(
        isinstance(why, str) and why and not why.endswith(".") for why in permissions.values()
    ):
        raise ManifestError(
            "each permission must say why in a short phrase without a final period, "
            f"not {permissions!r}"
        )
    return manifest


def sources(folder: Path = SOURCE) -> list[Path]:
    """The files the extension is made of, sorted: no caches, no compiled Python."""
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo")
    )


def build(out_dir: Path = OUT_DIR, folder: Path = SOURCE, version: str = __version__) -> Path:
    """Write `tilefarm-<version>.zip` into `out_dir`; returns its path."""
    check_manifest((folder / MANIFEST).read_text(encoding="utf-8"), version)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"tilefarm-{version}.zip"
    partial = out.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w") as archive:
        for path in sources(folder):
            entry = zipfile.ZipInfo(path.relative_to(folder).as_posix(), date_time=FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 3  # Unix, whatever machine builds it
            entry.external_attr = FILE_MODE << 16
            archive.writestr(entry, path.read_bytes(), compresslevel=9)
    partial.replace(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR, help="where the zip goes")
    args = parser.parse_args(argv)
    try:
        out = build(args.out_dir)
    except ManifestError as exc:
        print(f"build_addon: {exc}", file=sys.stderr)
        return 1
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
