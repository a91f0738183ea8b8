// Jobs on the market, newest first; "mine" when a wallet is known.
import { api } from "../api";
import { clear, h, notice } from "../dom";
import { explain } from "../errors";
import { eth, short, when } from "../format";
import type { Ctx } from "../main";
import type { JobSummary, Page } from "../types";

export function jobsPage(root: HTMLElement, ctx: Ctx): () => void {
  const list = h("div", { "aria-live": "polite" }, notice("info", "Loading…"));
  clear(root, h("h1", {}, "Jobs"), list);
  void (async () => {
    try {
      const page = await api<Page<JobSummary>>("/api/jobs?limit=100");
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
                  h("td", {}, h("span", { class: `badge ${j.status.toLowerCase()}` }, j.status)),
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
