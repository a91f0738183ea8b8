"""Errors of the chain adapter."""

from typing import Any

from tilefarm.errors import TilefarmError


class ChainError(TilefarmError):
    """Root of the chain adapter's errors."""


class ContractReverted(ChainError):
    """The market rejected a call: `error` names the custom error, `error_args` its values."""

    def __init__(self, error: str, args: dict[str, Any], function: str) -> None:
        self.error = error
        self.error_args = args
        self.function = function
        shown = ", ".join(f"{k}={v}" for k, v in args.items())
        super().__init__(f"{function} reverted with {error}({shown})")


class WrongChain(ChainError):
    """The node serves another chain than the market's deployments name, or no market."""
