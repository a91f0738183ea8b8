// The auditor's page: every job's money in and out (the ledger) and one job's audit report.
import { api } from "../api";
import type { Ctx } from "../app";
import { clear, h, notice } from "../dom";
import { explain } from "../errors";
import { eth } from "../format";
import type { AuditReport, Check, Ledger } from "../types";

const isWei = (v: unknown): boolean =>
  typeof v === "bigint" ||
  (typeof v === "number" && Number.isInteger(v)) ||
  (typeof v === "string" && /^\d+$/.test(v));

function checkRow(check: Check): HTMLElement {
  return h(
    "li",
    { class: check.ok ? "good" : "bad", "data-ok": String(check.ok) },
    h("strong", {}, check.ok ? "✓ " : "✗ ", `${check.kind}: `, check.name),
    check.detail ? ` — ${check.detail}` : "",
  );
}

export function auditPage(root: HTMLElement, _ctx: Ctx, jobId: number | null): () => void {
  const ledgerBox = h(
    "section",
    { class: "card", "aria-live": "polite" },
    notice("info", "Loading the ledger…"),
  );
  const reportBox = h("div", { id: "audit-report", "aria-live": "polite" });
  const input = h("input", {
    id: "audit-job",
    name: "job",
    type: "number",
    min: 1,
    required: true,
    value: jobId ?? "",
  });
  const form = h(
    "form",
    { class: "card inline", id: "audit-form" },
    h("h2", {}, "Audit one job"),
    h("div", { class: "field" }, h("label", { for: "audit-job" }, "Job id"), input),
    h("button", { type: "submit" }, "Audit"),
    reportBox,
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (input.value) location.hash = `#/audit/${Number(input.value)}`;
  });
  clear(
    root,
    h("h1", {}, "Audit"),
    h(
      "p",
      { class: "muted" },
      "Every wei paid into a job must come out to someone or still be held. Download the ledger for a spreadsheet.",
    ),
    form,
    ledgerBox,
  );

  void (async () => {
    try {
      const l = await api<Ledger>("/api/ledger?limit=500");
      clear(
        ledgerBox,
        h(
          "h2",
          {},
          "Ledger ",
          h(
            "a",
            {
              class: "button small",
              href: "/api/ledger?format=csv",
              download: "tilefarm-ledger.csv",
            },
            "Download CSV",
          ),
        ),
        h("p", {}, `Paid in ${eth(l.paid_in)} · paid out ${eth(l.paid_out)} · held ${eth(l.held)}`),
        h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { id: "ledger-table" },
            h("caption", { class: "visually-hidden" }, "Money per job"),
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                [
                  "Job",
                  "Status",
                  "Paid in",
                  "Workers",
                  "Verifiers",
                  "Draw bounties",
                  "Panels",
                  "Treasury",
                  "Refunded",
                  "Held",
                  "Balanced",
                ].map((c) => h("th", { scope: "col" }, c)),
              ),
            ),
            h(
              "tbody",
              {},
              l.items.map((j) =>
                h(
                  "tr",
                  {},
                  h("td", {}, h("a", { href: `#/audit/${j.job_id}` }, `Job ${j.job_id}`)),
                  h("td", {}, j.status),
                  h("td", {}, eth(j.paid_in)),
                  h("td", {}, eth(j.to_workers)),
                  h("td", {}, eth(j.to_verifiers)),
                  h("td", {}, eth(j.to_drawers)),
                  h("td", {}, eth(j.to_panels)),
                  h("td", {}, eth(j.to_treasury)),
                  h("td", {}, eth(j.refunded)),
                  h("td", {}, eth(j.held)),
                  h("td", {}, j.balanced ? "yes" : h("strong", { class: "bad" }, "NO")),
                ),
              ),
            ),
          ),
        ),
      );
    } catch (err) {
      clear(ledgerBox, notice("error", explain(err)));
    }
  })();

  if (jobId !== null) {
    clear(reportBox, notice("info", `Auditing job ${jobId} from the chain and IPFS…`));
    void (async () => {
      try {
        const report = await api<AuditReport>(`/api/audit/jobs/${jobId}`);
        clear(
          reportBox,
          h(
            "div",
            { id: "audit-verdict" },
            notice(
              report.ok ? "ok" : "error",
              report.ok
                ? `Job ${jobId} passes every check.`
                : `Job ${jobId} fails at least one check.`,
            ),
          ),
          h("ul", { class: "checks" }, report.checks.map(checkRow)),
          h(
            "dl",
            { class: "facts" },
            Object.entries(report.money).map(([k, v]) => [
              h("dt", {}, k.replace(/_/g, " ")),
              h("dd", {}, isWei(v) ? eth(v) : String(v)),
            ]),
          ),
        );
      } catch (err) {
        clear(reportBox, notice("error", explain(err)));
      }
    })();
  }
  return () => {};
}
