"""`make addon` (scripts/build_addon.py): the extension zip is built only from a manifest Blender
accepts and that names tilefarm's own version, with the manifest at the zip's root."""

import zipfile
from pathlib import Path

import pytest

from scripts.build_addon import SOURCE, ManifestError, build, check_manifest
from tilefarm import __version__

MANIFEST = (SOURCE / "blender_manifest.toml").read_text()


def test_the_zip_holds_the_manifest_at_its_root_and_no_compiled_python(tmp_path: Path) -> None:
    source = tmp_path / "tilefarm"
    source.mkdir()
    (source / "blender_manifest.toml").write_text(MANIFEST)
    (source / "__init__.py").write_text("")
    (source / "__pycache__").mkdir()
    (source / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    out = build(tmp_path / "out", source)
    assert out.name == f"tilefarm-{__version__}.zip"
    with zipfile.ZipFile(out) as archive:
        assert archive.namelist() == ["__init__.py", "blender_manifest.toml"]
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_a_manifest_naming_another_version_is_refused_with_the_fix() -> None:
    with pytest.raises(ManifestError) as refused:
        check_manifest(MANIFEST, version="9.9.9")
    assert str(refused.value) == (
        f"blender_manifest.toml says version '{__version__}', tilefarm is '9.9.9': set "
        'version = "9.9.9" in addon/tilefarm/blender_manifest.toml'
    )


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (('name = "tilefarm"\n', ""), "blender_manifest.toml lacks name"),
        (('type = "add-on"', 'type = "theme"'), "type must be \"add-on\", not 'theme'"),
        (('["SPDX:MIT"]', '["MIT"]'), 'license must be a list like ["SPDX:MIT"]'),
        (("a tilefarm render market", "a render market."), "not end with punctuation"),
        (("tilefarm server", "tilefarm server."), "without a final period"),
        (("schema_version", "schema_version = = "), "is not valid TOML"),
    ],
)
def test_a_manifest_blender_would_refuse_is_refused_saying_which_field(
    change: tuple[str, str], said: str
) -> None:
    old, new = change
    assert old in MANIFEST
    with pytest.raises(ManifestError) as refused:
        check_manifest(MANIFEST.replace(old, new, 1))
    assert said in str(refused.value)
