"""A worker's transaction goes to the node once: sending it again only made the node answer
"already imported" (every one of a burst's 145 transactions was sent twice)."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from render_worker.chain import calls
from render_worker.chain.sender import TxSender
from tests.worker.conftest import Stack, worker_daemon

pytestmark = [pytest.mark.chain]


def test_a_transaction_is_broadcast_once_and_mined(
    own_stack: Stack, block_producer: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    node = worker_daemon(own_stack, tmp_path, 6)
    sent: list[str] = []
    real: Callable[..., Any] = node.w3.eth.send_raw_transaction

    def counted(raw: Any) -> Any:
        sent.append(str(raw))
        return real(raw)

    monkeypatch.setattr(node.w3.eth, "send_raw_transaction", counted)
    sender = TxSender(node.w3, node.market, node.account, node.state)
    row = sender.send(calls.stake(10**15, "sent-once"))
    assert row.status == "mined"
    assert sent == [row.raw]
