import brownie
from helpers import err, post


def test_custom_errors_are_asserted_with_their_values(market, artist):
    job_id = post(market, artist)
    with brownie.reverts(err("JobNotFound", job_id + 1)):
        market.cancelJob(job_id + 1, {"from": artist})
