// The API's bodies, as the page reads them (see marketplace/api/schemas.py).
import type { Abi } from "viem";

export type Wei = string;

export interface PageConfig {
  chain_id: number | null;
  rpc_url: string;
  market_address: `0x${string}` | null;
  market_abi: Abi | null;
  devnet: boolean;
  faucet: boolean;
  explorer_tx_url: string | null;
  ipfs_gateway_url: string | null;
}

export interface SceneInfo {
  scene: string;
  frame_start: number;
  frame_end: number;
  fps: number;
  width: number;
  height: number;
  resolution_percentage: number;
  camera: string | null;
  engine: string;
  samples: number | null;
}

export interface ScenePublic {
  cid: string;
  filename: string;
  size: number;
  info: SceneInfo;
}

export interface Manifest {
  scene_cid: string;
  frames: number[];
  resolution: { width: number; height: number };
  tile_grid: { columns: number; rows: number };
  samples: number;
  verification?: { patch_size: number; patch_count: number };
}

export interface ManifestPublic {
  cid: string;
  manifest: Manifest;
}

export interface Estimate {
  tile_count: number;
  price_per_tile: Wei;
  protocol_fee_per_tile: Wei;
  verify_fee_per_tile: Wei;
  render_cost: Wei;
  protocol_fee: Wei;
  verification_budget: Wei;
  total: Wei;
  based_on_bids: number;
}

export interface ChainEvent {
  block_number: number;
  log_index: number;
  tx_hash: string;
  timestamp: number;
  name: string;
  job_id: number | null;
  actor: string | null;
  args: Record<string, unknown>;
}

export interface Seat {
  worker: string;
  /** The contract's SeatState name (see SEAT_LABELS). */
  state: string;
  price_per_tile: Wei;
  first_tile: number;
  tile_count: number;
  /** The committed Merkle root, once committed. */
  merkle_root: string | null;
  /** The revealed results list: null until the worker revealed it (after the evidence seal). */
  results_cid: string | null;
  payment: Wei;
  verifier_fee: Wei;
  slashed: Wei;
  verification: {
    verifier: string | null;
    evidence_seal: string | null;
    passed: boolean | null;
    evidence_cid: string | null;
  };
}

export interface BidPublic {
  bidder: string;
  declared_tiles: number;
  /** Locked at the maximum price until revealed; forfeited to the artist if never revealed. */
  collateral: Wei;
  revealed: boolean;
  outcome: string;
  forfeited: Wei;
}

/** `[first_tile, tile_count]`, in the posted job's tile indices. */
export type TileRange = [number, number];

/** One re-offer round of a posted job: a job of its own id (its detail at `/api/jobs/{round_id}`). */
export interface RoundPublic {
  round_id: number;
  round: number;
  status: string;
  /** The tiles it re-offers. */
  tiles: number;
  max_price_per_tile: Wei;
  /** Paid to its workers. */
  paid: Wei;
  tiles_paid: number;
}

export interface JobSummary {
  job_id: number;
  artist: string;
  status: string;
  /** The tiles it sells (a round: the tiles it re-offers). */
  tile_count: number;
  frame_count: number;
  deposit: Wei;
  posted_at: number;
  /** A re-offer round: the posted job it re-offers tiles of (0: a posted job). */
  root: number;
  /** 0 for a posted job, 1.. for its re-offer rounds. */
  round: number;
  /** A posted job: its latest round's id (0 while none). */
  latest: number;
}

export interface JobDetail extends JobSummary {
  manifest_cid: string;
  max_price_per_tile: Wei;
  verify_fee_per_tile: Wei;
  escrow: Wei;
  bid_end: number;
  reveal_end: number;
  render_deadline: number;
  commits: number;
  reveals: number;
  bids: BidPublic[];
  seats: Seat[];
  events: ChainEvent[];
  /** A posted job: its rounds bidding or with open seats. */
  open_rounds: number;
  /** A posted job: the re-offer rounds it may have, and those that may still open. */
  max_rounds: number;
  rounds_left: number;
  /** A posted job: no round opens after it (0: none). */
  final_deadline: number;
  /** A posted job: its escrow no seat is owed, which funds its next rounds. */
  reserve: Wei;
  /** A posted job: the most its next round pays per tile. */
  next_max_price_per_tile: Wei;
  /** A posted job: its tiles waiting for a round. */
  unsold: TileRange[];
  /** A round: the tiles it re-offers. */
  offered: TileRange[];
  /** A posted job: its re-offer rounds, in order. */
  rounds: RoundPublic[];
}

export interface JobLedger {
  job_id: number;
  status: string;
  paid_in: Wei;
  deposit: Wei;
  paid_out: Wei;
  to_artist: Wei;
  refunded: Wei;
  /** Collateral of sealed bids never revealed, slashed to the artist (part of to_artist). */
  forfeits: Wei;
  to_workers: Wei;
  to_verifiers: Wei;
  to_treasury: Wei;
  protocol_fee: Wei;
  /** Stakes forfeited by panels where nobody voted for the outcome (part of to_treasury). */
  panels_to_treasury: Wei;
  to_bidders: Wei;
  to_drawers: Wei;
  to_panels: Wei;
  /** Challengers of passes that contradicted their evidence: bond back and the verifier's slash. */
  to_challengers: Wei;
  held: Wei;
  balanced: boolean;
  /** Added to the reserve by the artist (part of paid_in). */
  top_ups: Wei;
  /** The bounties of whoever opened a re-offer round. */
  to_openers: Wei;
  /** Re-offer rounds opened. */
  rounds: number;
}

/** One credit or payment of a job's ledger; `round_id` names the round (or the posted job). */
export interface LedgerEntry {
  block_number: number;
  log_index: number;
  round_id: number;
  direction: "in" | "out";
  party: string;
  role: string;
  reason: string;
  amount: Wei;
}

export interface JobLedgerDetail extends JobLedger {
  entries: LedgerEntry[];
}

export interface Frame {
  frame: number;
  status: "pending" | "assembled";
  width: number;
  height: number;
  png_cid: string | null;
  exr_cid: string | null;
  png_url: string;
  exr_url: string;
  /** Tiles of the frame's grid that no round delivered: transparent in the assembled frame. */
  missing_tiles?: number[];
}

export interface WorkerSummary {
  address: string;
  stake: Wei;
  balance: Wei;
  earned: Wei;
  eligible: boolean;
  account_id: number;
  tiles_accepted: number;
  tiles_rejected: number;
  timeouts: number;
  slashes: number;
}

export interface WorkerDetail extends WorkerSummary {
  jobs: {
    job_id: number;
    state: string;
    first_tile: number;
    tile_count: number;
    price_per_tile: Wei;
    payment: Wei;
    slashed: Wei;
  }[];
}

export interface Page<T> {
  items: T[];
  total: number;
}
