"""A scene's filename with a control character in it (a NUL, which PostgreSQL cannot store, or a
newline) is refused with a reason before the upload is read, on SQLite and PostgreSQL alike."""

import pytest
from fastapi.testclient import TestClient

from tests.marketplace.conftest import BOTH_DATABASES

pytestmark = [pytest.mark.stack]


@pytest.mark.parametrize("database_url", BOTH_DATABASES, indirect=True)
@pytest.mark.parametrize(
    "filename",
    ["tiny\x00.blend", "tiny\n.blend", "tiny\x7f.blend"],
    ids=["nul", "newline", "delete"],
)
def test_a_filename_with_a_control_character_is_refused_with_a_reason(
    api: TestClient, database_url: str, filename: str
) -> None:
    answer = api.post("/api/scenes", params={"filename": filename}, content=b"BLENDER" + bytes(64))
    assert answer.status_code == 422
    assert "control character" in answer.json()["error"]["message"]
