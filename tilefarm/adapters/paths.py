"""Where the project's own tools and state live. The local stack is installed into the repository
by `make setup`, so paths are found from this file, never from the current directory."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TOOLS_BIN = PROJECT_ROOT / ".tools" / "bin"
NODE_BIN = PROJECT_ROOT / "tools" / "node_modules" / ".bin"
SOLCX_BINARY_PATH = PROJECT_ROOT / ".tools" / "solcx"
BUILD_DIR = PROJECT_ROOT / "build"
DEFAULT_STATE_DIR = PROJECT_ROOT / ".tilefarm"
