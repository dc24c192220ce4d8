import { expect, test } from "@playwright/test";
import { AFTER, BEFORE, comparePair, diffRow, fixture, pick, upload } from "./helpers";

test("compare a before/after pair: the known changes are listed", async ({ page }) => {
  await comparePair(page);
  const regress = diffRow(page, "(regress)");
  await expect(regress).toHaveAttribute("data-status", "slower");
  await expect(regress.locator("[data-col='r.tottime']")).toHaveText("2.75×");
  await expect(regress.locator("[data-col='d.pct']")).toHaveText("+175%");
  await expect(diffRow(page, "(improve)")).toHaveAttribute("data-status", "faster");
  await expect(diffRow(page, "(added_fn)")).toHaveAttribute("data-status", "new");
  await expect(diffRow(page, "(removed_fn)")).toHaveAttribute("data-status", "removed");
  // Summary cards and the chart.
  const cards = page.getByTestId("summary-cards");
  await expect(cards).toContainText("238 ms → 185 ms");
  await expect(cards).toContainText("−22.2%");
  const bars = page.getByTestId("chart-bar");
  await expect(bars.first()).toHaveAttribute("data-function", /\(improve\)|\(regress\)/);
  // Clicking a bar selects its row and shows the edge diff.
  await page.locator("[data-testid=chart-bar][data-function*='(regress)']").click();
  await expect(page).toHaveURL(/row=/);
  await expect(page.getByTestId("edge-function")).toContainText("(regress)");
  await expect(page.getByTestId("edge-diff")).toContainText("Called by");
  await expect(diffRow(page, "(regress)")).toHaveClass(/selected/);
});

test("status chips, text filter and sorting change the table", async ({ page }) => {
  await comparePair(page);
  const rows = page.getByTestId("diff-row");
  await expect(rows).toHaveCount(5); // unchanged are hidden by default
  await page.getByTestId("chip-unchanged").click();
  await expect(rows).toHaveCount(12);
  await page.getByTestId("chip-faster").click();
  await expect(rows).toHaveCount(10);
  await page.getByTestId("compare-filter").fill("regress");
  await expect(rows).toHaveCount(1);
  await page.getByTestId("compare-filter").fill("/^src.*(added|removed)_fn/");
  await expect(rows).toHaveCount(2);
  await page.getByTestId("compare-filter").fill("");
  await page.getByTestId("chip-faster").click();
  // Sort by Δ% ascending (click twice): improvements first.
  const header = page.locator("table[data-testid=diff-table] thead tr:nth-child(2) th").filter({ hasText: "%" });
  await header.getByRole("button").click();
  await header.getByRole("button").click();
  const pcts = await page.locator("[data-col='d.pct']").allTextContents();
  expect(pcts[0]).toBe("−76.7%");
});

test("thresholds and normalisation change the view", async ({ page }) => {
  await comparePair(page);
  await expect(diffRow(page, "(regress)")).toHaveAttribute("data-status", "slower");
  // +174.8% is below a 200% threshold: no longer a regression.
  await page.getByTestId("min-pct").fill("200");
  await page.getByTestId("min-pct").press("Enter");
  await expect(page).toHaveURL(/min_pct=200/);
  await expect(diffRow(page, "(regress)")).toHaveCount(0);
  await page.getByTestId("chip-unchanged").click();
  await expect(diffRow(page, "(regress)")).toHaveAttribute("data-status", "unchanged");
  // A large millisecond threshold leaves only new/removed rows' verdicts.
  await page.getByTestId("min-pct").fill("5");
  await page.getByTestId("min-pct").press("Enter");
  await page.getByTestId("min-ms").fill("100");
  await page.getByTestId("min-ms").press("Enter");
  await expect(diffRow(page, "(regress)")).toHaveAttribute("data-status", "unchanged");
  await expect(diffRow(page, "(improve)")).toHaveAttribute("data-status", "faster");
  await page.getByTestId("min-ms").fill("1");
  await page.getByTestId("min-ms").press("Enter");
  // Normalising scales the candidate so both totals match.
  const before = await diffRow(page, "(regress)").locator("[data-col='b.tottime']").getAttribute("title");
  await page.getByTestId("normalize").check();
  await expect(page.getByTestId("summary-cards").locator("..")).toContainText("candidate scaled ×1.2858");
  await expect(diffRow(page, "(regress)").locator("[data-col='b.tottime']")).not.toHaveAttribute("title", before!);
  // The metric switch.
  await page.getByTestId("metric").selectOption("cumtime");
  await expect(page).toHaveURL(/metric=cumtime/);
  await expect(page.getByTestId("summary-cards").locator("..")).toContainText("Metric cumtime");
});

test("swap exchanges baseline and candidate", async ({ page }) => {
  await comparePair(page);
  await page.getByTestId("swap").click();
  await expect(diffRow(page, "(regress)")).toHaveAttribute("data-status", "faster");
  await expect(diffRow(page, "(added_fn)")).toHaveAttribute("data-status", "removed");
});

test("export Markdown to the clipboard, and CSV/JSON as downloads", async ({ page, context }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await comparePair(page);
  await page.getByTestId("export-markdown").click();
  await expect(page.getByTestId("export-status")).toContainText("Markdown copied");
  const md = await page.evaluate(() => navigator.clipboard.readText());
  expect(md).toContain("| ");
  expect(md).toContain("regress");
  expect(md).toContain("+174.8%");
  const csvDownload = page.waitForEvent("download");
  await page.getByTestId("export-csv").click();
  const csv = await csvDownload;
  expect(csv.suggestedFilename()).toBe("profdiff-before_3.11-vs-after_3.11.csv");
  const text = require("fs").readFileSync(await csv.path(), "utf8");
  expect(text.split("\n")[0]).toContain("status,match,display");
  const jsonDownload = page.waitForEvent("download");
  await page.getByTestId("export-json").click();
  const json = JSON.parse(require("fs").readFileSync(await (await jsonDownload).path(), "utf8"));
  expect(json.summary.counts).toEqual({ slower: 1, faster: 2, unchanged: 7, new: 1, removed: 1 });
});

test("the permalink restores the view on reload", async ({ page }) => {
  await comparePair(page);
  await page.getByTestId("metric").selectOption("cumtime");
  await page.getByTestId("compare-filter").fill("shop.py");
  await page.getByTestId("chip-unchanged").click();
  await diffRow(page, "(improve)").click();
  await expect(page).toHaveURL(/row=/);
  const url = page.url();
  const shown = await page.getByTestId("diff-row").count();
  await page.reload();
  expect(page.url()).toBe(url);
  await expect(page.getByTestId("diff-table")).toBeVisible();
  await expect(page.getByTestId("metric")).toHaveValue("cumtime");
  await expect(page.getByTestId("compare-filter")).toHaveValue("shop.py");
  await expect(page.getByTestId("chip-unchanged")).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByTestId("diff-row")).toHaveCount(shown);
  await expect(diffRow(page, "(improve)")).toHaveClass(/selected/);
  await expect(page.getByTestId("edge-function")).toContainText("(improve)");
});

test("runs mode and matrix mode", async ({ page }) => {
  await page.goto("/");
  const runs = [1, 2, 3].flatMap((i) => [fixture(`compare/runs_before_${i}.prof`), fixture(`compare/runs_after_${i}.prof`)]);
  await upload(page, runs);
  for (const i of [1, 2, 3]) {
    await pick(page, `runs_before_${i}.prof`, "a");
    await pick(page, `runs_after_${i}.prof`, "b");
  }
  await page.getByTestId("compare-picked").click();
  await expect(page).toHaveURL(/mode=runs/);
  await expect(page.getByTestId("runs-table")).toBeVisible();
  await expect(page.getByTestId("summary-cards")).toContainText("3 vs 3");
  await expect(page.getByTestId("runs-row").first()).toBeVisible();
  await expect(page.getByTestId("within-noise")).toHaveText(/^\d+$/);
  // Matrix of all six, in list order.
  await page.goto("/");
  for (const i of [1, 2, 3]) {
    await pick(page, `runs_before_${i}.prof`, "a");
    await pick(page, `runs_after_${i}.prof`, "a");
  }
  await page.getByTestId("matrix-picked").click();
  await expect(page).toHaveURL(/mode=matrix/);
  const table = page.getByTestId("matrix-table");
  await expect(table).toBeVisible();
  await expect(table.locator("thead th")).toContainText(["runs_before_1.prof"]);
  await expect(table.locator("svg.spark").first()).toBeVisible();
});

test("the Compare page's pickers start a comparison", async ({ page }) => {
  await page.goto("/");
  await upload(page, [BEFORE, AFTER]);
  await page.getByRole("link", { name: "Compare", exact: true }).click();
  await expect(page.getByTestId("compare-empty")).toBeVisible();
  await page.getByTestId("pick-baseline").selectOption({ label: "before_3.11.prof" });
  // Half a pair is still a prompt, not a spinner.
  await expect(page.getByTestId("compare-empty")).toBeVisible();
  await page.getByTestId("pick-candidate").selectOption({ label: "after_3.11.prof" });
  await expect(diffRow(page, "(regress)")).toHaveAttribute("data-status", "slower");
  await expect(page).toHaveURL(/mode=two&a=[0-9a-f-]{36}&b=[0-9a-f-]{36}/);
});
