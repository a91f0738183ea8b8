// The contract's seat states (`SeatState`, as the API names them) in words.

export const SEAT_LABELS: Record<string, string> = {
  None: "Bid sealed",
  Revealed: "Bid revealed",
  Outbid: "Outbid",
  Assigned: "Rendering",
  Submitted: "Committed: waiting for the spot-check",
  Sealed: "Evidence sealed: the worker reveals its tiles",
  Opened: "Tiles revealed: the verifier attests",
  Accepted: "Accepted, paid after the contest window",
  Failed: "Failed the spot-check",
  Disputed: "Appealed",
  Contested: "Contested by the artist",
  Challenged: "Pass challenged against its evidence",
  Rejected: "Rejected",
  TimedOut: "Timed out",
  Reclaimed: "Bond reclaimed",
  Unverified: "Unverified: every verifier stayed silent",
  Paid: "Paid",
  Forfeited: "Bid forfeited",
};

/** A seat state in words (an unknown name as it is). */
export function seatLabel(state: string): string {
  return SEAT_LABELS[state] ?? state;
}
