"""The chain's backend codes read back as the backend classes they stand for."""

from tilefarm.hardware import BACKEND_CLASSES
from tilefarm.hardware_codes import BACKEND_CODES, backend_name


def test_each_declared_code_names_its_backend_class() -> None:
    assert {backend_name(code) for code in BACKEND_CODES.values()} == set(BACKEND_CLASSES)
    for name, code in BACKEND_CODES.items():
        assert backend_name(code) == name


def test_a_code_never_declared_or_unknown_names_no_backend() -> None:
    assert backend_name(0) is None  # the account never declared any
    assert backend_name(7) is None
    assert backend_name(-1) is None
