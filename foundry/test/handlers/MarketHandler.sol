// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IJobMarket} from "contracts/interfaces/IJobMarket.sol";
import {MarketParams} from "../utils/MarketParams.sol";
import {Books} from "./Books.sol";
import {StakingActions} from "./StakingActions.sol";
import {Lifecycle} from "./Lifecycle.sol";
import {Closing} from "./Closing.sol";

/// @title MarketHandler
/// @notice The one contract the invariant campaign calls. It deploys the market from its build,
/// stakes the verifier pool, and exposes the fuzzed steps (`actions`) and the books the invariants read.
contract MarketHandler is Books, StakingActions, Lifecycle, Closing {
    constructor() {
        _createActors();
        bytes memory config = abi.encode(MarketParams.config(treasury));
        address court = vm.deployCode("PanelCourt.sol:PanelCourt", config);
        address keeper = vm.deployCode("RoundKeeper.sol:RoundKeeper", config);
        market = IJobMarket(vm.deployCode("JobMarket.sol:JobMarket", abi.encode(MarketParams.config(treasury), court, keeper)));
        cfg = market.config();
        for (uint256 i; i < stakers.length; ++i) {
            _stake(stakers[i], 1.5 ether + i * 0.25 ether);
        }
    }

    /// @notice The steps the fuzzer may call.
    function actions() external pure returns (bytes4[] memory selectors) {
        selectors = new bytes4[](42);
        selectors[0] = this.stake.selector;
        selectors[1] = this.requestUnstake.selector;
        selectors[2] = this.withdrawStake.selector;
        selectors[3] = this.withdraw.selector;
        selectors[4] = this.advance.selector;
        selectors[5] = this.postJob.selector;
        selectors[6] = this.cancelJob.selector;
        selectors[7] = this.commitBid.selector;
        selectors[8] = this.flood.selector;
        selectors[9] = this.revealBid.selector;
        selectors[10] = this.settle.selector;
        selectors[11] = this.reclaimBond.selector;
        selectors[12] = this.commitResults.selector;
        selectors[13] = this.claimLate.selector;
        selectors[14] = this.drawVerifier.selector;
        selectors[15] = this.attest.selector;
        selectors[16] = this.acceptResults.selector;
        selectors[17] = this.release.selector;
        selectors[18] = this.replaceVerifier.selector;
        selectors[19] = this.finalizeRejection.selector;
        selectors[20] = this.openDispute.selector;
        selectors[21] = this.drawPanel.selector;
        selectors[22] = this.commitVote.selector;
        selectors[23] = this.revealVote.selector;
        selectors[24] = this.resolveDispute.selector;
        selectors[25] = this.finishSometimes.selector;
        selectors[26] = this.forfeitBid.selector;
        selectors[27] = this.sealEvidence.selector;
        selectors[28] = this.revealResults.selector;
        selectors[29] = this.hideResults.selector;
        selectors[30] = this.challengePass.selector;
        selectors[31] = this.reoffer.selector;
        selectors[32] = this.topUp.selector;
        selectors[33] = this.endReoffering.selector;
        selectors[34] = this.abandonSeat.selector;
        selectors[35] = this.declareHardware.selector;
        // Listed six times: complete lifecycles need many of these steps in one run.
        for (uint256 i = 36; i < 42; ++i) {
            selectors[i] = this.advanceJob.selector;
        }
    }

    /// @notice The market under test.
    function marketAddress() external view returns (address) {
        return address(market);
    }
}
