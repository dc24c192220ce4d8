import { AFTER, BEFORE, comparePair, diffRow, expect, fixture, pick, test, upload } from "./helpers";

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

test("diff rows are picked with the keyboard and keep the focus", async ({ page }) => {
  await comparePair(page);
  const row = diffRow(page, "(work)");
  await row.focus();
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/row=/);
  await expect(page.getByTestId("edge-function")).toContainText("(work)");
  // The page's rows are drawn anew on a selection: the selected one gets the focus back.
  await expect(diffRow(page, "(work)")).toHaveClass(/selected/);
  await expect(diffRow(page, "(work)")).toBeFocused();
  // Tab moves on to the next row, and Enter picks that one.
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("edge-function")).not.toContainText("(work)");
  await expect(page.locator("[data-testid=diff-row].selected")).toBeFocused();
});

test("the diff table pages at a chosen size, kept in the URL", async ({ page }) => {
  const [before, after] = ["dataviewer_before.prof", "dataviewer_after.prof"];
  await page.goto("/");
  await upload(page, [fixture(`pstats/dumps/${before}`), fixture(`pstats/dumps/${after}`)]);
  await pick(page, before, "a");
  await pick(page, after, "b");
  await page.getByTestId("compare-picked").click();
  await page.getByTestId("chip-unchanged").click();
  const pager = page.getByTestId("pager");
  await expect(pager).toContainText("rows 1–50 of 5635 · page 1 of 113");
  await expect(page.getByTestId("diff-row")).toHaveCount(50);
  await page.getByTestId("page-size").selectOption("250");
  await expect(page.getByTestId("diff-row")).toHaveCount(250);
  await pager.getByRole("button", { name: "Next" }).click();
  await expect(pager).toContainText("rows 251–500 of 5635 · page 2 of 23");
  // A smaller size keeps the first row shown on screen.
  await page.getByTestId("page-size").selectOption("25");
  await expect(pager).toContainText("rows 251–275 of 5635 · page 11 of 226");
  await expect(page).toHaveURL(/per=25/);
  await page.reload();
  await expect(page.getByTestId("diff-row")).toHaveCount(25);
  await expect(page.getByTestId("page-size")).toHaveValue("25");
  await expect(pager).toContainText("rows 251–275 of 5635");
  // A page number from a hand-edited URL, however large (the wasm usize maximum here),
  // shows no rows and no crash.
  await page.goto(page.url().replace(/page=\d+/, "page=4294967295"));
  await expect(page.getByTestId("diff-table")).toHaveAttribute("data-rows", "5635");
  await expect(page.getByTestId("diff-row")).toHaveCount(0);
  await page.getByTestId("chip-unchanged").click();
  await expect(page.getByTestId("diff-table")).not.toHaveAttribute("data-rows", "5635");
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
  expect(json.summary.counts).toEqual({ slower: 1, faster: 2, unchanged: 7, new: 1, removed: 1, insufficient: 0 });
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
  // 3 vs 3 runs cannot reach α 0.05: the view says so, and the known regression is
  // insufficient, greyed, not "slower".
  await expect(page.getByTestId("runs-insufficient")).toContainText("Record at least 4 runs a side");
  const regress = page.getByTestId("runs-row").filter({ hasText: "(regress)" });
  await expect(regress).toHaveAttribute("data-status", "insufficient");
  await expect(regress).toHaveClass(/not-significant/);
  await expect(regress.getByTestId("ratio-ci")).toHaveText(/^\d+\.\d+ \[\d/);
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

test("runs statistics: the real change is significant, A/A runs are noise, merged runs compare", async ({ page }) => {
  test.setTimeout(90_000);
  await page.goto("/");
  const files = [1, 2, 3, 4, 5, 6, 7, 8].flatMap((i) => [fixture(`runs/a_${i}.prof`), fixture(`runs/b_${i}.prof`)]);
  await upload(page, files);
  for (const i of [1, 2, 3, 4, 5, 6, 7, 8]) {
    await pick(page, `a_${i}.prof`, "a");
    await pick(page, `b_${i}.prof`, "b");
  }
  await page.getByTestId("compare-picked").click();
  await expect(page).toHaveURL(/mode=runs/);
  await expect(page.getByTestId("summary-cards")).toContainText("8 vs 8");
  await expect(page.getByTestId("runs-insufficient")).toHaveCount(0);
  await expect(page.getByTestId("test-summary")).toContainText("BH over 13 functions · α 0.05");
  // Exactly one significant row: regress, about twice as slow, its interval clear of 1×.
  const significant = page.locator("[data-testid=runs-row][data-verdict=significant]");
  await expect(significant).toHaveCount(1);
  await expect(significant).toContainText("(regress)");
  await expect(significant).toHaveAttribute("data-status", "slower");
  await expect(significant).not.toHaveClass(/not-significant/);
  await expect(significant.getByTestId("ratio-ci")).toHaveText(/^1\.9\d \[1\.[89]\d, 2\.\d\d\]$/);
  await expect(significant.locator("svg.ci-slower")).toBeVisible();
  // The differential flame graph of the mean run: regress in colour, the rest grey.
  await expect(page.getByTestId("flame-runs-note")).toBeVisible();
  const fill = (text: string) =>
    page.locator("[data-testid=flame] .frame", { hasText: text }).first().evaluate((e) => (e as HTMLElement).style.background);
  await expect(page.locator("[data-testid=flame] .frame", { hasText: "regress" }).first()).toBeVisible();
  expect(await fill("regress")).not.toBe(await fill("main"));
  // A stricter α is in the permalink and refetches: at 0.001 nothing is significant.
  await page.getByTestId("alpha").fill("0.001");
  await page.getByTestId("alpha").press("Enter");
  await expect(page).toHaveURL(/alpha=0\.001/);
  await expect(page.locator("[data-testid=runs-row][data-verdict=significant]")).toHaveCount(0);
  await expect(page.getByTestId("runs-row").filter({ hasText: "(regress)" })).toHaveAttribute("data-verdict", "within noise");
  // The within-noise chip hides the rows the test set aside.
  const shown = await page.getByTestId("runs-row").count();
  await page.getByTestId("chip-noise").click();
  await expect(page).toHaveURL(/noise=0/);
  await expect(page.getByTestId("runs-row")).toHaveCount(shown - 1);
  await page.getByTestId("chip-noise").click();
  // Merged against merged: two new profiles, and the two-way comparison of them.
  await page.getByTestId("compare-merged").click();
  await expect(page).toHaveURL(/mode=two/);
  await expect(page.getByTestId("diff-table")).toBeVisible();
  await expect(diffRow(page, "(regress)").first()).toBeVisible();
  await page.goto("/");
  await expect(page.locator("[data-testid=profile-row][data-name^=merged-8-runs-a_]")).toHaveCount(1);
  await expect(page.locator("[data-testid=profile-row][data-name^=merged-8-runs-b_]")).toHaveCount(1);
});

test("merge picked profiles into one", async ({ page }) => {
  await page.goto("/");
  await upload(page, [fixture("runs/a_1.prof"), fixture("runs/a_2.prof"), fixture("sampled/pyspy_before.txt")]);
  await pick(page, "a_1.prof", "a");
  await pick(page, "a_2.prof", "a");
  await page.getByTestId("merge-picked").click();
  // Named after the first of them in list order (uploads finish in any order).
  await expect(page.getByTestId("merge-status")).toContainText(/Merged into merged-2-runs-a_[12]\.prof/);
  await expect(page.locator("[data-testid=profile-row][data-name^='merged-2-runs-a_']")).toHaveCount(1);
  // A traced profile and a sampled one do not add up: a clear error, nothing stored.
  await pick(page, "a_1.prof", "a");
  await pick(page, "pyspy_before.txt", "b");
  await page.getByTestId("merge-picked").click();
  await expect(page.getByTestId("list-error")).toContainText(/cannot merge a (cProfile|py-spy) profile with a (py-spy|cProfile) one/);
  await expect(page.getByTestId("profile-row")).toHaveCount(4);
});

test("Download report: one HTML file that works from file:// with the network off", async ({ page, context }) => {
  await comparePair(page);
  const download = page.waitForEvent("download");
  await page.getByTestId("export-html").click();
  const file = await download;
  expect(file.suggestedFilename()).toBe("profdiff-before_3.11-vs-after_3.11.html");
  const path = require("path").join(require("os").tmpdir(), `profdiff-report-${Date.now()}.html`);
  await file.saveAs(path);
  // Offline, in a fresh page: no request may leave it.
  await context.setOffline(true);
  const report = await context.newPage();
  const requests: string[] = [];
  report.on("request", (r) => { if (!r.url().startsWith("file:") && !r.url().startsWith("data:")) requests.push(r.url()); });
  await report.goto(`file://${path}`);
  await expect(report.locator("h1")).toContainText("before_3.11.prof → after_3.11.prof");
  await expect(report.getByTestId("report-summary")).toContainText("Slower");
  const rows = report.locator("#rows tbody tr");
  await expect(rows.first()).toContainText("(regress)");
  await expect(report.getByTestId("report-flame")).toBeVisible();
  // Drawn, not the fallback text: Chromium shows an <object>'s SVG as a nested frame, which
  // the report's policy must allow (frame-src data:).
  const svgFrame = () => report.frames().find((f) => f.url().startsWith("data:image/svg+xml"));
  await expect.poll(() => svgFrame() !== undefined).toBe(true);
  const svg = svgFrame()!;
  await expect(svg.locator("g.f").first()).toBeVisible();
  // Its own script runs there: click to zoom, Reset, Search.
  const regress = svg.locator("g.f", { hasText: "regress (" }).first();
  await svg.locator("g.f", { hasText: "improve (" }).first().click();
  await expect(regress).toBeHidden();
  await svg.locator("#reset").click();
  await expect(regress).toBeVisible();
  report.once("dialog", (d) => d.accept("^regress"));
  await svg.locator("#search").click();
  await expect(svg.locator("#matched")).toContainText("1 frame matches");
  // Sort by function name, then filter.
  await report.locator("#rows thead th", { hasText: "function" }).click();
  await expect(report.locator("#rows thead th", { hasText: "function" })).toHaveAttribute("aria-sort", "descending");
  await report.locator("#filter").fill("improve");
  await expect(report.locator("#rows tbody tr:not([hidden])")).toHaveCount(1);
  await expect(report.locator("#shown")).toHaveText("1 rows shown");
  expect(requests).toEqual([]);
  await context.setOffline(false);
});
