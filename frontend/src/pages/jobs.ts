// Jobs on the market, newest first; "mine" when a wallet is known. A job's re-offer rounds are jobs
// of their own on chain, shown with their posted job ("round k"), not as rows of their own.
import { api } from "../api";
import type { Ctx } from "../app";
import { clear, h, notice } from "../dom";
import { explain } from "../errors";
import { eth, short, when } from "../format";
import type { JobList } from "../types";

export function jobsPage(root: HTMLElement, ctx: Ctx): () => void {
  const list = h("div", { "aria-live": "polite" }, notice("info", "Loading…"));
  clear(root, h("h1", {}, "Jobs"), list);
  void (async () => {
    try {
      const page = await api<JobList>("/api/jobs?limit=100");
      const latest = new Map<number, number>(); // posted job -> its latest round's number
      if (page.items.some((j) => j.latest)) {
        const all = await api<JobList>("/api/jobs?rounds=true&limit=500");
        for (const r of all.items)
          if (r.root) latest.set(r.root, Math.max(r.round, latest.get(r.root) ?? 0));
      }
      if (!page.items.length) {
        clear(list, h("p", {}, "No jobs yet. ", h("a", { href: "#/" }, "Post the first one.")));
        return;
      }
      const me = ctx.wallet.address?.toLowerCase();
      clear(
        list,
        h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            {},
            h("caption", { class: "visually-hidden" }, "Jobs, newest first"),
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                ["Job", "Status", "Tiles", "Frames", "Escrow paid", "Artist", "Posted"].map((c) =>
                  h("th", { scope: "col" }, c),
                ),
              ),
            ),
            h(
              "tbody",
              {},
              page.items.map((j) =>
                h(
                  "tr",
                  {},
                  h("td", {}, h("a", { href: `#/jobs/${j.job_id}` }, `Job ${j.job_id}`)),
                  h(
                    "td",
                    {},
                    h("span", { class: `badge ${j.status.toLowerCase()}` }, j.status),
                    latest.get(j.job_id)
                      ? h(
                          "span",
                          { class: "muted round", "data-round": latest.get(j.job_id) },
                          ` round ${latest.get(j.job_id)}`,
                        )
                      : null,
                  ),
                  h("td", {}, j.tile_count),
                  h("td", {}, j.frame_count),
                  h("td", {}, eth(j.deposit)),
                  h(
                    "td",
                    {},
                    h("code", { class: "mono" }, short(j.artist)),
                    j.artist.toLowerCase() === me ? " (you)" : "",
                  ),
                  h("td", {}, when(j.posted_at)),
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
  return () => {};
}
