// Workers: stake, the hardware each declared, reputation (tiles accepted and rejected, timeouts,
// slashes) and recent jobs (a seat given back says why).
import { api } from "../api";
import type { Ctx } from "../app";
import { clear, h, notice } from "../dom";
import { explain } from "../errors";
import { eth, short } from "../format";
import { declaredText } from "../hardware";
import { seatLabel } from "../seats";
import type { WorkerDetail, WorkerList } from "../types";

export function workersPage(root: HTMLElement, _ctx: Ctx, selected: string | null): () => void {
  const list = h("div", { "aria-live": "polite" }, notice("info", "Loading…"));
  const detail = h("section", { id: "worker-detail", "aria-live": "polite" });
  clear(
    root,
    h("h1", {}, "Workers"),
    h(
      "p",
      { class: "muted" },
      "Accounts eligible now: staked at least the market's minimum, so they may bid and be drawn to verify. A worker's stake is slashed when it cheats or misses a deadline, a verifier's when it stays silent.",
    ),
    list,
    detail,
  );

  void (async () => {
    try {
      const page = await api<WorkerList>("/api/workers?limit=200");
      if (!page.items.length) {
        clear(list, h("p", {}, "No account is staked at the minimum yet."));
        return;
      }
      clear(
        list,
        h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { id: "workers-table" },
            h(
              "caption",
              { class: "visually-hidden" },
              "Eligible workers (stake at least the minimum)",
            ),
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                [
                  "Id",
                  "Worker",
                  "Stake",
                  "Hardware",
                  "Tiles accepted",
                  "Rejected",
                  "Timeouts",
                  "Slashes",
                  "Earned",
                ].map((c) => h("th", { scope: "col" }, c)),
              ),
            ),
            h(
              "tbody",
              {},
              page.items.map((w) =>
                h(
                  "tr",
                  { "data-worker": w.address },
                  h("td", {}, w.account_id),
                  h(
                    "td",
                    {},
                    h("a", { href: `#/workers/${w.address}`, title: w.address }, short(w.address)),
                  ),
                  h("td", {}, eth(w.stake)),
                  h(
                    "td",
                    { "data-hardware": w.backend ?? "" },
                    declaredText(w.backend, w.vram_mib),
                  ),
                  h("td", {}, w.tiles_accepted),
                  h("td", {}, w.tiles_rejected),
                  h("td", {}, w.timeouts),
                  h("td", {}, w.slashes),
                  h("td", {}, eth(w.earned)),
                ),
              ),
            ),
          ),
        ),
      );
    } catch (err) {
      clear(list, notice("error", explain(err)));
    }
  })();

  if (selected) {
    void (async () => {
      try {
        const w = await api<WorkerDetail>(`/api/workers/${selected}`);
        clear(
          detail,
          h(
            "div",
            { class: "card" },
            h("h2", {}, "Worker ", h("code", { class: "mono" }, w.address)),
            h(
              "p",
              {},
              `Stake ${eth(w.stake)} · balance ${eth(w.balance)} · ${w.tiles_accepted} tiles accepted, ${w.tiles_rejected} rejected`,
            ),
            h(
              "p",
              { id: "worker-hardware" },
              `Renders on: ${declaredText(w.backend, w.vram_mib)} (as it declared on chain)`,
            ),
            w.jobs.length
              ? h(
                  "div",
                  { class: "table-wrap" },
                  h(
                    "table",
                    {},
                    h(
                      "caption",
                      {},
                      w.jobs_total > w.jobs.length
                        ? `Latest ${w.jobs.length} of its ${w.jobs_total} jobs`
                        : "Recent jobs",
                    ),
                    h(
                      "thead",
                      {},
                      h(
                        "tr",
                        {},
                        ["Job", "State", "Tiles", "Price per tile", "Paid", "Slashed"].map((c) =>
                          h("th", { scope: "col" }, c),
                        ),
                      ),
                    ),
                    h(
                      "tbody",
                      {},
                      w.jobs
                        .slice(-20)
                        .reverse()
                        .map((j) =>
                          h(
                            "tr",
                            {},
                            h("td", {}, h("a", { href: `#/jobs/${j.job_id}` }, `Job ${j.job_id}`)),
                            h(
                              "td",
                              { "data-state": j.state, "data-cause": j.cause ?? "" },
                              j.cause_text ? `Given back: ${j.cause_text}` : seatLabel(j.state),
                            ),
                            h(
                              "td",
                              {},
                              j.tile_count
                                ? `${j.first_tile}–${j.first_tile + j.tile_count - 1}`
                                : "—",
                            ),
                            h("td", {}, eth(j.price_per_tile)),
                            h("td", {}, eth(j.payment)),
                            h("td", {}, eth(j.slashed)),
                          ),
                        ),
                    ),
                  ),
                )
              : h("p", { class: "muted" }, "No jobs yet."),
          ),
        );
      } catch (err) {
        clear(detail, notice("error", explain(err)));
      }
    })();
  }
  return () => {};
}
