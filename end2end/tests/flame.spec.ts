import { comparePair, diffRow, expect, fixture, SMALL, test, upload } from "./helpers";

/** A flame-graph frame whose label starts with `name (`. */
function frame(page: import("@playwright/test").Page, name: string) {
  return page.locator(".flame .frame", { hasText: `${name} (` });
}

test("the comparison's differential flame graph zooms, searches and selects rows", async ({ page }) => {
  await comparePair(page);
  const card = page.getByTestId("flame-card");
  await expect(card).toContainText("Differential flame graph");
  await expect(frame(page, "regress")).toBeVisible();
  // Colours: regress got slower (red-ish), improve faster (blue-ish).
  const rgb = async (name: string) =>
    (await frame(page, name).getAttribute("style"))!.match(/rgb\((\d+),(\d+),(\d+)\)/)!.slice(1).map(Number);
  const [r1, , b1] = await rgb("regress");
  expect(r1).toBeGreaterThan(b1);
  const [r2, , b2] = await rgb("improve");
  expect(b2).toBeGreaterThan(r2);
  // Hover shows both sides' numbers.
  await frame(page, "regress").hover();
  await expect(page.getByTestId("flame-details")).toContainText("A 39.401 ms");
  await expect(page.getByTestId("flame-details")).toContainText("→ B 108.240 ms");
  // Search: how many frames match and what share of the time they hold.
  await page.getByTestId("flame-search").fill("/^(improve|regress) /");
  await expect(page.getByTestId("flame-matches")).toHaveText(/^2 frames match · \d+\.\d% of time$/);
  await expect(page.locator(".flame .frame.match")).toHaveCount(2);
  await expect(page).toHaveURL(/fq=/);
  // Clicking a frame zooms into it (permalink, breadcrumb) and selects its row.
  await frame(page, "regress").click();
  await expect(page).toHaveURL(/fz=\d+/);
  await expect(page.getByTestId("flame-crumbs").locator("button")).toContainText(["all", "regress ("]);
  await expect(diffRow(page, "(regress)")).toHaveClass(/selected/);
  await expect(frame(page, "improve")).toHaveCount(0);
  // The permalink restores zoom and search.
  await page.reload();
  await expect(page.getByTestId("flame-crumbs").locator("button").last()).toContainText("regress (");
  await expect(page.getByTestId("flame-search")).toHaveValue("/^(improve|regress) /");
  // Back to the root from the breadcrumb.
  await page.getByTestId("flame-crumbs").locator("button").first().click();
  await expect(frame(page, "improve")).toBeVisible();
  // A row picked in the table is outlined in the graph.
  await diffRow(page, "(improve)").locator("td").first().click();
  await expect(frame(page, "improve")).toHaveClass(/picked/);
});

test("the flame graph works from the keyboard", async ({ page }) => {
  await comparePair(page);
  const flame = page.getByTestId("flame");
  await flame.focus();
  // Down from the root goes to its largest child, then Enter zooms there.
  await page.keyboard.press("ArrowDown");
  await expect(page.locator(".flame .frame.focused")).toHaveCount(1);
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/fz=\d+/);
  await page.keyboard.press("Escape");
  await expect(page).not.toHaveURL(/fz=\d+/);
});

test("the profile page has a flame graph; pstats trees say what is estimated", async ({ page }) => {
  await page.goto("/");
  await upload(page, [fixture("compare/before_3.11.prof")]);
  await page.locator("[data-testid=profile-row] td.name a").click();
  await expect(page.getByTestId("flame-card")).toContainText("Flame graph");
  await expect(frame(page, "main")).toBeVisible();
  // Picking a frame selects the function in the table and shows its callers.
  await frame(page, "regress").click();
  await expect(page.getByTestId("edges")).toContainText("regress");
});

test("a 5,635-function pstats profile's tree says what is estimated", async ({ page }) => {
  await page.goto("/");
  await upload(page, [fixture("pstats/dumps/dataviewer_before.prof")]);
  await page.locator("[data-testid=profile-row] td.name a").click();
  await expect(page.getByTestId("flame-estimated")).toBeVisible();
  await expect(page.locator(".flame .frame.estimated").first()).toBeVisible();
  // The widest frames: exec runs the program.
  await expect(page.locator(".flame .frame").nth(1)).toContainText("builtins.exec");
});

test("flame graphs fit a 375 px screen in dark mode", async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 375, height: 800 }, colorScheme: "dark" });
  const page = await context.newPage();
  await page.goto("/");
  await upload(page, [SMALL]);
  await page.locator("[data-testid=profile-row] td.name a").click();
  await expect(page.getByTestId("flame")).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(1);
  const box = await page.getByTestId("flame").boundingBox();
  expect(box!.width).toBeLessThanOrEqual(375);
  await context.close();
});

test("a selected function's sandwich shows its callers above and its callees below", async ({ page }) => {
  await comparePair(page);
  await expect(page.getByTestId("sandwich")).toHaveCount(0);
  await frame(page, "regress").click();
  const sandwich = page.getByTestId("sandwich");
  await expect(sandwich.locator("h3")).toHaveText("Sandwich: regress");
  await expect(page.getByTestId("sandwich-caption")).toHaveText("Callers above, callees below · 1 occurrence");
  // Callers: regress at the bottom, main above it, then <module>; callees: builtins.sum.
  const callers = page.getByTestId("sandwich-callers").locator(".frame");
  await expect(callers.filter({ hasText: "main (" })).toHaveCount(1);
  await expect(callers.filter({ hasText: "<module> (" })).toHaveCount(1);
  const callees = page.getByTestId("sandwich-callees").locator(".frame");
  await expect(callees.first()).toContainText("regress (");
  // Hovering names the frame with both sides' numbers.
  await callees.first().hover();
  await expect(page.getByTestId("sandwich-details")).toContainText("→ B 108.240 ms");
  // Picking a caller selects it: its row, and the sandwich moves to it.
  await callers.filter({ hasText: "main (" }).click();
  await expect(sandwich.locator("h3")).toHaveText("Sandwich: main");
  await expect(diffRow(page, "(main)")).toHaveClass(/selected/);
  await expect(page.getByTestId("sandwich-callees").locator(".frame", { hasText: "improve (" })).toHaveCount(1);
});
