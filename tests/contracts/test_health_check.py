"""The toolchain end to end: solcjs compiles, Brownie deploys on anvil, calls and events decode."""

from brownie import HealthCheck


def test_deployed_contract_reports_its_protocol_version(deployer):
    beacon = HealthCheck.deploy("tilefarm/1", {"from": deployer})
    assert beacon.protocolVersion() == "tilefarm/1"


def test_ping_counts_and_emits_a_past_tense_event(deployer, stranger):
    beacon = HealthCheck.deploy("tilefarm/1", {"from": deployer})
    beacon.ping({"from": deployer})
    tx = beacon.ping({"from": stranger})
    assert beacon.pings() == 2
    assert tx.events["Pinged"]["sender"] == stranger
    assert tx.events["Pinged"]["count"] == 2
