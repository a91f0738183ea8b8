"""A browser wallet extension as the page sees it: an EIP-1193 `window.ethereum`. It answers
reads from the devnet's RPC and either, like a person pressing "Reject" in MetaMask, refuses to
send any transaction (error 4001), or, like one pressing "Confirm", sends it: the devnet's node
signs for its own dev accounts (`eth_sendTransaction`). `chain_id` may differ from the node's, as
a wallet on another network does (and it refuses to switch: 4902, unknown chain)."""

import json

SCRIPT = """
(() => {
  const rpc = %(rpc)s, account = %(account)s, chainId = %(chain_id)s, signs = %(signs)s;
  const fail = (code, message) => Object.assign(new Error(message), { code });
  window.ethereum = {
    async request({ method, params }) {
      if (method === "eth_requestAccounts" || method === "eth_accounts") return [account];
      if (method === "eth_chainId") return chainId;
      if (method === "wallet_switchEthereumChain") throw fail(4902, "Unrecognized chain ID");
      if (method === "eth_sendTransaction" && !signs)
        throw fail(4001, "User rejected the request.");
      const answer = await fetch(rpc, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: params ?? [] }),
      }).then((r) => r.json());
      if (answer.error) throw fail(answer.error.code, answer.error.message);
      return answer.result;
    },
    on() {},
    removeListener() {},
  };
})();
"""


def _script(rpc_url: str, account: str, chain_id: int, signs: bool) -> str:
    return SCRIPT % {
        "rpc": json.dumps(rpc_url),
        "account": json.dumps(account),
        "chain_id": json.dumps(hex(chain_id)),
        "signs": json.dumps(signs),
    }


def refusing_wallet(rpc_url: str, account: str, chain_id: int) -> str:
    """The init script that installs a wallet declining every transaction, before the page's own
    scripts run."""
    return _script(rpc_url, account, chain_id, signs=False)


def signing_wallet(rpc_url: str, account: str, chain_id: int = 31337) -> str:
    """The init script that installs a wallet confirming every transaction of `account`, one of
    the devnet node's own dev accounts (the node signs it)."""
    return _script(rpc_url, account, chain_id, signs=True)
