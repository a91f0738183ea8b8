"""The local devnet's accounts: anvil's well-known development mnemonic and its funded keys.

They are public test keys, so nothing but the devnet (chain 31337) may use them; the devnet
program starts anvil with this mnemonic, and the server's faucet pays from one of its accounts.
"""

from eth_account import Account
from eth_account.signers.local import LocalAccount

DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_ACCOUNTS = 10
DEV_BALANCE_ETH = 10_000


def dev_account(index: int) -> LocalAccount:
    """anvil's funded development account `index`, as a local key (public: devnet only)."""
    Account.enable_unaudited_hdwallet_features()
    account: LocalAccount = Account.from_mnemonic(
        DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}"
    )
    return account
