// The API's bodies, as the page uses them: the page's names for the types generated from the
// server's OpenAPI schema (src/generated/api.ts, `npm run generate`).
import type { components } from "./generated/api";

type Schemas = components["schemas"];

/** A body as the server sends it. FastAPI writes every field of an answer's model, those with a
 * default too, while the schema lists as required only the fields without one (a body the page
 * sends may leave those out). */
export type Sent<T> = T extends readonly unknown[]
  ? { [K in keyof T]: Sent<T[K]> }
  : T extends object
    ? { [K in keyof T]-?: Sent<T[K]> }
    : T;

/** An amount in wei, as the API writes it: a decimal string. */
export type Wei = string;

/** `GET /api/config`. */
export type PageConfig = Sent<Schemas["PageConfig"]>;
export type SceneInfo = Sent<Schemas["SceneInfo"]>;
export type ScenePublic = Sent<Schemas["ScenePublic"]>;
/** What the page posts to `/api/manifests`: the server fills in every field left out. */
export type ManifestDraft = Schemas["RenderManifest"];
/** A stored render manifest, every default filled in. */
export type Manifest = Sent<Schemas["RenderManifest"]>;
export type ManifestPublic = Sent<Schemas["ManifestPublic"]>;
export type Estimate = Sent<Schemas["Estimate"]>;
/** A contract event, as the server indexed it (`EventPublic`). */
export type ChainEvent = Sent<Schemas["EventPublic"]>;
/** One worker's seat in a job (`SeatPublic`). */
export type Seat = Sent<Schemas["SeatPublic"]>;
export type BidPublic = Sent<Schemas["BidPublic"]>;
export type RoundPublic = Sent<Schemas["RoundPublic"]>;
export type JobSummary = Sent<Schemas["JobSummary"]>;
export type JobList = Sent<Schemas["JobList"]>;
export type JobDetail = Sent<Schemas["JobDetail"]>;
/** `[first_tile, tile_count]`, in the posted job's tile indices. */
export type TileRange = JobDetail["unsold"][number];
export type JobLedger = Sent<Schemas["JobLedger"]>;
/** `GET /api/ledger`: a page of job ledgers, and the sums over every job. */
export type Ledger = Sent<Schemas["Ledger"]>;
/** One credit or payment of a job's ledger (`LedgerEntryPublic`). */
export type LedgerEntry = Sent<Schemas["LedgerEntryPublic"]>;
export type JobLedgerDetail = Sent<Schemas["JobLedgerDetail"]>;
/** One frame of a job (`FramePublic`). */
export type Frame = Sent<Schemas["FramePublic"]>;
export type FrameList = Sent<Schemas["FrameList"]>;
/** `GET /api/jobs/{id}/film`: a job's MP4 and ZIP, once every frame is assembled. */
export type Film = Sent<Schemas["FilmPublic"]>;
export type WorkerSummary = Sent<Schemas["WorkerSummary"]>;
export type WorkerList = Sent<Schemas["WorkerList"]>;
export type WorkerDetail = Sent<Schemas["WorkerDetail"]>;
export type FaucetGrant = Sent<Schemas["FaucetGrant"]>;
/** `GET /api/audit/jobs/{id}`: every check of one job's audit, and its money. */
export type AuditReport = Sent<Schemas["AuditReport"]>;
/** One check of an audit: what was checked, whether it held, and what was found. */
export type Check = Sent<Schemas["Check"]>;
