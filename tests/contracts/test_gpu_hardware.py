"""GPU workers (docs/protocol.md, "Accounts" and steps 4 and 5): an account declares the backend
class it renders on; a seat records the class its worker had declared when it committed its
results, and the verifier and the first panel seat of that seat are first sought among the uniform
draw's first three candidates with that class, never among the excluded parties (the other two
panel seats are the uniform draw's, and declaring again once committed changes no draw); and a
worker whose GPU failed gives its seat back at once, with a cause, at exactly the price of a late
worker."""

import brownie
import pytest
from brownie import chain
from eth_utils.crypto import keccak
from helpers import (
    ASSIGNED,
    BID_WINDOW,
    BOND,
    BPS,
    COMPLETED,
    DISPUTE_BOND,
    LATE_BPS,
    MIN_STAKE,
    NONE,
    RENDER_WINDOW,
    REVEAL_WINDOW,
    SUBMITTED,
    TIMED_OUT,
    VERIFY_FEE,
    Bid,
    advance,
    attest,
    commit,
    commit_lock,
    commit_results,
    crowd,
    draw_bounty,
    err,
    member_seed,
    pool_order,
    post,
    predict_panel,
    predict_pick,
    predict_preferred_pick,
    protocol_fee,
    ranking,
    ready_for_draw,
    reveal,
    run_auction,
    stake_all,
)

from tilefarm.hardware_codes import BACKEND_CODES, AbandonCause

CPU, CUDA, OPTIX, METAL = (
    BACKEND_CODES["CPU"],
    BACKEND_CODES["CUDA"],
    BACKEND_CODES["OPTIX"],
    BACKEND_CODES["METAL"],
)
PRICE = 10**14
TILES = 16
LATE_SLASH = MIN_STAKE * LATE_BPS // BPS
ROUNDS_OPEN = 100_000  # seconds from posting to the final deadline of a job with rounds


def declare(market, who, backend, vram_mib=24_576):
    return market.declareHardware(backend, vram_mib, {"from": who})


def backends(market, members):
    return {m.address: market.account(m)["backend"] for m in members}


def draw_many(market, artist, worker, count, once_committed=None):
    """`count` jobs whose tiles all went to `worker`, run side by side up to their draws; returns
    each draw's `VerifierDrawn` event. `once_committed()`, if given, runs after the anchor blocks
    were mined, just before the draws."""
    jobs = [post(market, artist) for _ in range(count)]
    bids = [Bid(worker, PRICE, TILES) for _ in jobs]
    for job_id, bid in zip(jobs, bids, strict=True):
        commit(market, job_id, bid)
    advance(BID_WINDOW + 1)
    for job_id, bid in zip(jobs, bids, strict=True):
        reveal(market, job_id, bid)
    advance(REVEAL_WINDOW + 1)
    for job_id in jobs:
        market.settle(job_id, ranking(market, job_id), {"from": artist})
        commit_results(market, job_id, worker)
    ready_for_draw()
    if once_committed is not None:
        once_committed()
    return [
        market.drawVerifier(job_id, worker, {"from": artist}).events["VerifierDrawn"]
        for job_id in jobs
    ]


def model_share(pool, exclude, backend_of, backend, wanted, seeds=3_000):
    """How often the draw rule, restated in Python, picks `wanted` over many seeds."""
    hits = 0
    for i in range(seeds):
        seed = keccak(text=f"tilefarm-model-seed-{i}")
        hits += predict_preferred_pick(seed, pool, exclude, backend_of, backend) == wanted
    return hits / seeds


# -- declaring hardware


def test_any_account_declares_its_hardware_and_may_declare_it_again(market, stranger):
    tx = declare(market, stranger, CUDA, 24_576)
    event = tx.events["HardwareDeclared"]
    assert (event["account"], event["backend"], event["vramMiB"]) == (stranger, CUDA, 24_576)
    account = market.account(stranger)
    assert (account["backend"], account["vramMiB"]) == (CUDA, 24_576)
    # Declaring is not staking: no account id, no place in the pool.
    assert account["stake"] == account["accountId"] == account["poolIndex"] == 0
    assert market.poolSize() == 0
    tx = declare(market, stranger, OPTIX, 81_920)  # a new card
    assert tx.events["HardwareDeclared"]["backend"] == OPTIX
    account = market.account(stranger)
    assert (account["backend"], account["vramMiB"]) == (OPTIX, 81_920)


def test_declaring_hardware_leaves_the_stake_and_its_locked_collateral_alone(
    market, artist, worker
):
    stake_all(market, worker)
    job_id = post(market, artist)
    bid = Bid(worker, PRICE, TILES)
    commit(market, job_id, bid)
    before = market.account(worker)
    assert before["locked"] == commit_lock(TILES)
    declare(market, worker, METAL, 0)
    after = market.account(worker)
    assert (after["backend"], after["vramMiB"]) == (METAL, 0)
    unchanged = ("stake", "locked", "unstaking", "accountId", "poolIndex", "duties", "timeouts")
    assert all(after[field] == before[field] for field in unchanged)
    advance(BID_WINDOW + 1)
    reveal(market, job_id, bid)  # the lock moves to the bid's own price, as ever
    assert market.account(worker)["locked"] == TILES * PRICE
    assert market.account(worker)["backend"] == METAL


@pytest.mark.parametrize("backend", [0, 7, 255])
def test_an_unknown_backend_is_refused(market, stranger, backend):
    declare(market, stranger, CPU, 0)
    with brownie.reverts(err("UnknownBackend", backend)):
        declare(market, stranger, backend)
    assert market.account(stranger)["backend"] == CPU


def test_the_python_backend_codes_are_the_contracts():
    assert BACKEND_CODES == {"CPU": 1, "CUDA": 2, "OPTIX": 3, "HIP": 4, "ONEAPI": 5, "METAL": 6}


# -- the verifier draw


def test_a_cuda_worker_draws_the_only_cuda_verifier_far_more_often_than_one_in_six(
    market, artist, worker
):
    cpus = crowd(6, "cpu-verifier")
    (cuda,) = crowd(1, "cuda-verifier")
    stake_all(market, worker, *cpus, cuda)
    for member in cpus:
        declare(market, member, CPU, 0)
    declare(market, cuda, CUDA)
    declare(market, worker, CUDA)
    pool = pool_order(market, [worker, *cpus, cuda])
    backend_of = backends(market, [worker, *cpus, cuda])
    exclude = [worker, artist]

    # Every draw is the preferring rule's. About one seed in five is one where it matters (the
    # uniform draw's pick is a CPU verifier, the CUDA one is among the first three candidates):
    # jobs are drawn until one was (sixty without one: less than once in 100,000 runs).
    drawn = changed = 0
    while not changed:
        assert drawn < 60, "the preference changed no draw in 60 seeds"
        for event in draw_many(market, artist, worker, 4):
            seed = bytes(event["seed"])
            preferred = predict_preferred_pick(seed, pool, exclude, backend_of, CUDA)
            uniform = predict_pick(seed, pool, exclude)
            assert event["verifier"] == preferred
            # Seed by seed, the preference only ever turns another pick into the CUDA one.
            assert preferred in (uniform, cuda)
            changed += preferred != uniform
            drawn += 1
    # Over many seeds, the rule the chain follows: the CUDA verifier, one eighth of the pool, is
    # drawn as often as it is among the first three candidates, 1 - (7/8)^3 = 0.33, more than
    # twice the uniform draw's 1/7 (the worker itself is excluded).
    share = model_share(pool, exclude, backend_of, CUDA, cuda.address)
    assert abs(share - (1 - (7 / 8) ** 3)) < 0.03
    assert share > 2 / 7
    assert model_share(pool, exclude, backend_of, 0, cuda.address) < 1 / 6


def test_a_worker_that_declared_nothing_draws_exactly_as_the_uniform_pick(market, artist, worker):
    members = crowd(6, "declared-verifier")
    stake_all(market, worker, *members)
    for i, member in enumerate(members):  # the pool's own declarations change nothing
        declare(market, member, CUDA if i % 2 else CPU)
    pool = pool_order(market, [worker, *members])

    # Nor does a declaration the worker makes only once its results are committed.
    def declared_late():
        declare(market, worker, CUDA)

    for event in draw_many(market, artist, worker, 6, once_committed=declared_late):
        assert event["verifier"] == predict_pick(bytes(event["seed"]), pool, [worker, artist])


def test_a_seat_records_the_class_its_worker_declared_when_it_committed(market, artist, worker):
    stake_all(market, worker)
    declare(market, worker, CUDA)
    job_id = run_auction(market, artist, [Bid(worker, PRICE, TILES)])
    assert market.seat(job_id, worker)["backend"] == 0  # nothing is recorded before the results
    commit_results(market, job_id, worker)
    assert market.seat(job_id, worker)["backend"] == CUDA
    declare(market, worker, METAL)  # a new card: later seats, not this one
    assert market.seat(job_id, worker)["backend"] == CUDA
    later = run_auction(market, artist, [Bid(worker, PRICE, TILES)])
    commit_results(market, later, worker)
    assert market.seat(later, worker)["backend"] == METAL


def test_declaring_another_class_once_the_anchor_is_known_changes_no_draw(market, artist, worker):
    cpus = crowd(3, "cpu-verifier")
    cudas = crowd(3, "cuda-verifier")
    stake_all(market, worker, *cpus, *cudas)
    for member in cpus:
        declare(market, member, CPU, 0)
    for member in cudas:
        declare(market, member, CUDA)
    declare(market, worker, CUDA)
    pool = pool_order(market, [worker, *cpus, *cudas])
    backend_of = backends(market, [worker, *cpus, *cudas])
    exclude = [worker, artist]

    # The worker commits as CUDA, then, with the anchor hashes known, declares CPU wherever that
    # would pick another verifier: every draw stays the CUDA one. About five draws in eight are
    # ones where the class matters; batches go on until one was (four batches of four without
    # one: less than once in 100,000 runs).
    drawn = mattered = 0
    while not mattered:
        assert drawn < 16, "the class mattered to no draw in 16 seeds"
        declare(market, worker, CUDA)
        for event in draw_many(
            market, artist, worker, 4, once_committed=lambda: declare(market, worker, CPU)
        ):
            seed = bytes(event["seed"])
            as_committed = predict_preferred_pick(seed, pool, exclude, backend_of, CUDA)
            assert event["verifier"] == as_committed
            mattered += as_committed != predict_preferred_pick(seed, pool, exclude, backend_of, CPU)
            drawn += 1


def test_the_preferred_verifier_is_never_the_worker_or_the_artist(market, artist, worker):
    others = crowd(2, "cpu-only")
    stake_all(market, worker, artist, *others)  # the artist is in the pool, and excluded
    declare(market, worker, CUDA)
    declare(market, artist, CUDA)  # the only other CUDA account is a party
    for member in others:
        declare(market, member, CPU, 0)
    pool = pool_order(market, [worker, artist, *others])
    for event in draw_many(market, artist, worker, 6):
        assert event["verifier"] in [o.address for o in others]
        # Nobody eligible shares the worker's class: the draw falls back to the uniform pick.
        assert event["verifier"] == predict_pick(bytes(event["seed"]), pool, [worker, artist])


# -- the panel


def appeal_with_panel(market, artist, worker, verifier, jurors, stranger):
    """The worker's seat fails by `verifier` (the only one it can draw then), the `jurors` stake
    and the worker appeals; returns the PanelDrawn event."""
    stake_all(market, worker, verifier)
    job_id = run_auction(market, artist, [Bid(worker, PRICE, TILES)])
    commit_results(market, job_id, worker)
    assert attest(market, job_id, worker, False, stranger) == verifier
    stake_all(market, *jurors)
    market.openDispute(job_id, worker, "bafy-why", {"from": worker, "value": DISPUTE_BOND})
    ready_for_draw()
    return market.drawPanel(job_id, worker, {"from": stranger}).events["PanelDrawn"]


def members_of(panel):
    return [None if m == "0x" + "00" * 20 else m for m in panel["members"]]


def cuda_worker_among_jurors(market, worker, verifier):
    """A CUDA worker, a CPU `verifier` and four CPU and four CUDA jurors, all staked; returns the
    pool and everyone's declared class."""
    cpus = crowd(4, "cpu-juror")
    cudas = crowd(4, "cuda-juror")
    everyone = [worker, verifier, *cpus, *cudas]
    stake_all(market, *everyone)
    declare(market, worker, CUDA)
    declare(market, verifier, CPU, 0)
    for juror in cpus:
        declare(market, juror, CPU, 0)
    for juror in cudas:
        declare(market, juror, CUDA)
    return pool_order(market, everyone), backends(market, everyone)


def appeal(market, artist, worker, stranger):
    """A new job whose tiles all went to `worker`, failed by its drawn verifier and appealed, with
    the panel drawn; returns the PanelDrawn event and the excluded parties. Once committed, the
    worker declares METAL, which nobody else has: its seat keeps the class it committed on."""
    job_id = run_auction(market, artist, [Bid(worker, PRICE, TILES)])
    commit_results(market, job_id, worker)
    declare(market, worker, METAL)
    failing = attest(market, job_id, worker, False, stranger)
    market.openDispute(job_id, worker, "bafy-why", {"from": worker, "value": DISPUTE_BOND})
    ready_for_draw()
    panel = market.drawPanel(job_id, worker, {"from": stranger}).events["PanelDrawn"]
    declare(market, worker, CUDA)
    return panel, [worker.address, artist.address, failing.address]


def test_the_panels_first_seat_prefers_the_workers_class(
    market, artist, worker, verifier, stranger
):
    pool, backend_of = cuda_worker_among_jurors(market, worker, verifier)

    # Each of the worker's appeals is judged by a panel whose first seat prefers the CUDA class the
    # seat was committed on. About one panel in four differs from a uniform one; appeals go on
    # until one did (thirty-six without one: less than once in 100,000 runs).
    appeals = changed = 0
    while not changed:
        assert appeals < 36, "the preference changed no panel in 36 appeals"
        panel, exclude = appeal(market, artist, worker, stranger)
        seed = bytes(panel["seed"])
        members = members_of(panel)
        assert members == predict_panel(seed, pool, exclude, backend_of, CUDA)
        first = predict_preferred_pick(member_seed(seed, 0), pool, exclude, backend_of, CUDA)
        assert members[0] == first
        assert not set(exclude) & set(members)
        changed += members != predict_panel(seed, pool, exclude, backend_of, 0)
        appeals += 1
    # Over many seeds, the rule the chain follows: with the CPU verifier excluded, four of the
    # eight jurors are CUDA, so a uniform first seat is CUDA half the time; a preferring one as
    # often as a CUDA juror is among its first three candidates of ten, 1 - (6/10)^3 = 0.78.
    exclude = [worker, artist, verifier]
    cudas = {who for who, code in backend_of.items() if code == CUDA} - {worker.address}
    preferred = uniform = 0
    for i in range(1_000):
        seed = keccak(text=f"tilefarm-panel-seed-{i}")
        preferred += predict_panel(seed, pool, exclude, backend_of, CUDA)[0] in cudas
        uniform += predict_panel(seed, pool, exclude, backend_of, 0)[0] in cudas
    assert abs(preferred / 1_000 - (1 - 0.6**3)) < 0.05
    assert abs(uniform / 1_000 - 0.5) < 0.06


def test_the_second_and_third_panel_seats_are_the_uniform_draws(
    market, artist, worker, verifier, stranger
):
    pool, backend_of = cuda_worker_among_jurors(market, worker, verifier)

    # The seats after the first are the uniform pick, excluding the members drawn before them, even
    # where preferring would have seated another juror. About one panel in three is one where it
    # would have; appeals go on until one was (thirty-six without one: less than once in 100,000
    # runs).
    appeals = mattered = 0
    while not mattered:
        assert appeals < 36, "preferring would have changed no later seat in 36 appeals"
        panel, exclude = appeal(market, artist, worker, stranger)
        seed = bytes(panel["seed"])
        members = members_of(panel)
        for k in (1, 2):
            seat_seed, before = member_seed(seed, k), exclude + members[:k]
            assert members[k] == predict_pick(seat_seed, pool, before)
            preferring = predict_preferred_pick(seat_seed, pool, before, backend_of, CUDA)
            mattered += preferring != members[k]
        appeals += 1


def test_sybils_of_a_rare_class_win_a_panel_majority_about_as_rarely_as_from_a_uniform_panel():
    # The rule the chain follows (the tests above), over many seeds: an attacker whose Sybils are
    # the only accounts of its class, q = 3/30 of the pool, wins two seats of a panel on its own
    # appeal (it, the artist and the verifier excluded) less often than 7q^2, the first-order
    # bound (docs/protocol.md, step 5); a uniform panel about 3q^2 (here, drawn without
    # replacement, a little less of either).
    pool = [f"0x{i:040x}" for i in range(30)]
    attacker, verifier, sybils = pool[0], pool[1], set(pool[27:])
    backend_of = {who: CPU for who in pool} | dict.fromkeys([attacker, *sybils], CUDA)
    exclude, q, seeds = [attacker, "0x" + "ff" * 20, verifier], 3 / 30, 3_000
    wins = {CUDA: 0, 0: 0}
    for i in range(seeds):
        seed = keccak(text=f"tilefarm-sybil-seed-{i}")
        for backend in wins:
            panel = predict_panel(seed, pool, exclude, backend_of, backend)
            wins[backend] += len(sybils & set(panel)) >= 2
    preferred, uniform = wins[CUDA] / seeds, wins[0] / seeds
    assert uniform < 3 * q**2
    assert uniform < preferred < 7 * q**2


def test_the_preferred_panel_never_seats_the_worker_the_artist_or_the_verifier(
    market, artist, worker, verifier, stranger
):
    stake_all(market, artist)  # in the pool, and excluded
    jurors = crowd(3, "cpu-juror")
    for party in (worker, artist, verifier):
        declare(market, party, CUDA)  # every other CUDA account is excluded
    for juror in jurors:
        declare(market, juror, CPU, 0)
    panel = appeal_with_panel(market, artist, worker, verifier, jurors, stranger)
    pool = pool_order(market, [worker, artist, verifier, *jurors])
    backend_of = backends(market, [worker, artist, verifier, *jurors])
    members = members_of(panel)
    assert sorted(members) == sorted(j.address for j in jurors)
    # Nobody eligible shares the worker's class: each seat falls back to the uniform pick.
    exclude = [worker, artist, verifier]
    seed = bytes(panel["seed"])
    assert members == predict_panel(seed, pool, exclude, backend_of, CUDA)
    assert members == predict_panel(seed, pool, exclude, backend_of, 0)


# -- giving a seat back


@pytest.fixture
def assigned(staked, artist, worker):
    """A job whose 16 tiles all went to `worker`, still rendering."""
    return run_auction(staked, artist, [Bid(worker, PRICE, TILES)])


@pytest.mark.parametrize("cause", list(AbandonCause), ids=lambda c: c.name.lower())
def test_a_worker_gives_its_seat_back_at_once_and_pays_what_a_late_worker_pays(
    staked, assigned, artist, worker, cause
):
    escrow = staked.job(assigned)["escrow"]
    assert chain.time() < staked.job(assigned)["renderDeadline"]
    tx = staked.abandonSeat(assigned, cause, {"from": worker})
    event = tx.events["SeatAbandoned"]
    assert (event["jobId"], event["worker"], event["cause"]) == (assigned, worker, cause)
    assert event["slashed"] == LATE_SLASH
    assert "WorkerTimedOut" not in tx.events
    slash = tx.events["Slashed"]
    assert (slash["worker"], slash["reason"], slash["amount"]) == (worker, 1, LATE_SLASH)  # Late
    returned = tx.events["TilesReturned"]
    assert (returned["worker"], returned["firstTile"], returned["tileCount"]) == (worker, 0, TILES)
    assert returned["cause"] == TIMED_OUT
    assert staked.seat(assigned, worker)["state"] == TIMED_OUT
    account = staked.account(worker)
    assert account["locked"] == 0 and account["timeouts"] == 1
    assert account["stake"] == MIN_STAKE - LATE_SLASH
    assert staked.barred(assigned, worker)
    # The only seat closed and no round may open: the artist gets everything and the slash.
    assert staked.job(assigned)["status"] == COMPLETED
    assert staked.balanceOf(artist) == escrow + LATE_SLASH
    assert staked.balanceOf(worker) == BOND  # its bid bond, nothing more


def test_giving_a_seat_back_costs_exactly_what_being_claimed_late_costs(
    market, artist, worker, rival, stranger
):
    stake_all(market, worker, rival)
    job_id = post(market, artist, rounds=1, final_deadline=chain.time() + ROUNDS_OPEN)
    bids = [Bid(worker, PRICE, 8), Bid(rival, PRICE, 8)]
    for b in bids:
        commit(market, job_id, b)
    advance(BID_WINDOW + 1)
    for b in bids:
        reveal(market, job_id, b)
    advance(REVEAL_WINDOW + 1)
    market.settle(job_id, ranking(market, job_id), {"from": artist})
    seat_escrow = 8 * (PRICE + protocol_fee(1, PRICE)) + 8 * VERIFY_FEE - draw_bounty(8)

    reserve = market.reofferOf(job_id)["reserve"]
    gave_up = market.abandonSeat(job_id, AbandonCause.GPU_LOST, {"from": worker})
    after_abandon = market.reofferOf(job_id)["reserve"]
    advance(RENDER_WINDOW + 1)
    claimed = market.claimLate(job_id, rival, {"from": stranger})
    after_claim = market.reofferOf(job_id)["reserve"]

    assert gave_up.events["SeatAbandoned"]["slashed"] == LATE_SLASH
    assert claimed.events["WorkerTimedOut"]["slashed"] == LATE_SLASH
    assert after_abandon - reserve == after_claim - after_abandon == LATE_SLASH + seat_escrow
    for who in (worker, rival):
        account = market.account(who)
        assert account["stake"] == MIN_STAKE - LATE_SLASH and account["timeouts"] == 1
        assert account["locked"] == 0 and market.barred(job_id, who)
        assert market.seat(job_id, who)["state"] == TIMED_OUT
    assert sorted(market.unsoldTiles(job_id)) == [(0 << 16) | 8, (8 << 16) | 8]


def test_a_given_back_seats_tiles_go_on_the_market_again_before_its_render_deadline(
    market, artist, worker, rival, stranger
):
    stake_all(market, worker, rival)
    job_id = post(market, artist, rounds=1, final_deadline=chain.time() + ROUNDS_OPEN)
    bid = Bid(worker, PRICE, TILES)
    commit(market, job_id, bid)
    advance(BID_WINDOW + 1)
    reveal(market, job_id, bid)
    advance(REVEAL_WINDOW + 1)
    market.settle(job_id, ranking(market, job_id), {"from": artist})
    market.abandonSeat(job_id, AbandonCause.GPU_OUT_OF_MEMORY, {"from": worker})
    assert chain.time() < market.job(job_id)["renderDeadline"]
    opened = market.reoffer(job_id, {"from": stranger}).events["RoundOpened"]
    assert opened["tiles"] == TILES
    with brownie.reverts(err("BarredFromJob", job_id, worker)):
        commit(market, opened["roundId"], Bid(worker, PRICE, TILES), bond=opened["bidBond"])
    commit(market, opened["roundId"], Bid(rival, PRICE, TILES), bond=opened["bidBond"])


def test_a_worker_may_give_its_seat_back_after_the_render_deadline_too(
    staked, assigned, worker, stranger
):
    advance(RENDER_WINDOW + 1)
    tx = staked.abandonSeat(assigned, AbandonCause.RENDER_TIME_LIMIT, {"from": worker})
    assert tx.events["SeatAbandoned"]["slashed"] == LATE_SLASH
    with brownie.reverts(err("SeatNotInState", assigned, worker, TIMED_OUT, ASSIGNED)):
        staked.claimLate(assigned, worker, {"from": stranger})


def test_a_seat_is_given_back_once_and_only_while_it_is_assigned(
    staked, assigned, artist, worker, verifier, rival
):
    staked.abandonSeat(assigned, AbandonCause.UNSPECIFIED, {"from": worker})
    with brownie.reverts(err("SeatNotInState", assigned, worker, TIMED_OUT, ASSIGNED)):
        staked.abandonSeat(assigned, AbandonCause.UNSPECIFIED, {"from": worker})
    stake_all(staked, rival)
    job_id = run_auction(staked, artist, [Bid(rival, PRICE, TILES)])
    commit_results(staked, job_id, rival)  # delivered: nothing left to give back
    with brownie.reverts(err("SeatNotInState", job_id, rival, SUBMITTED, ASSIGNED)):
        staked.abandonSeat(job_id, AbandonCause.GPU_LOST, {"from": rival})


@pytest.mark.parametrize("cause", [7, 255])
def test_an_unknown_cause_is_refused(staked, assigned, worker, cause):
    with brownie.reverts(err("UnknownCause", cause)):
        staked.abandonSeat(assigned, cause, {"from": worker})
    assert staked.seat(assigned, worker)["state"] == ASSIGNED


def test_nobody_but_the_worker_can_give_its_seat_back(staked, assigned, artist, worker, stranger):
    # The seat is the caller's own: anyone else names a seat it does not hold.
    for other in (stranger, artist):
        with brownie.reverts(err("SeatNotInState", assigned, other, NONE, ASSIGNED)):
            staked.abandonSeat(assigned, AbandonCause.UNSPECIFIED, {"from": other})
    assert staked.seat(assigned, worker)["state"] == ASSIGNED
    assert staked.account(worker)["stake"] == MIN_STAKE


def test_the_causes_read_as_a_user_would_say_them():
    assert [int(c) for c in AbandonCause] == list(range(7))
    assert AbandonCause.GPU_OUT_OF_MEMORY.describe() == "a worker's GPU ran out of memory"
    assert AbandonCause(0).describe() == "a worker gave its tiles back"
