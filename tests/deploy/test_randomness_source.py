"""Finding 7 of the verification game: the market's draws use block hashes, which Arbitrum
documents as insecure; a deployment there is refused before anything is sent."""

import pytest

from tilefarm.adapters.chain.remote import DeployError, check_randomness


@pytest.mark.parametrize("chain_id", [42161, 42170, 421614])
def test_finding_7_a_deployment_to_arbitrum_is_refused_for_its_insecure_blockhash(
    chain_id: int,
) -> None:
    with pytest.raises(DeployError, match="documents blockhash as insecure"):
        check_randomness(chain_id)


@pytest.mark.parametrize("chain_id", [1, 11155111, 84532, 11155420, 31337])
def test_the_deployments_file_names_block_hashes_as_the_source_elsewhere(chain_id: int) -> None:
    assert check_randomness(chain_id) == "blockhash"
