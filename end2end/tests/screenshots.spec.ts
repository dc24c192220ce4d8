// Screenshots for README (docs/screenshots/). Runs only with PROFDIFF_SCREENSHOTS=1:
//   make screenshots
import * as path from "path";
import { AFTER, BEFORE, diffRow, expect, fixture, pick, test, upload } from "./helpers";

const OUT = path.resolve(__dirname, "../../docs/screenshots");
test.skip(!process.env.PROFDIFF_SCREENSHOTS, "set PROFDIFF_SCREENSHOTS=1 to save screenshots");

test("screenshots of the main views", async ({ browser }) => {
  test.setTimeout(120_000);
  for (const scheme of ["light", "dark"] as const) {
    const context = await browser.newContext({ colorScheme: scheme, viewport: { width: 1360, height: 900 } });
    const page = await context.newPage();
    await page.goto("/");
    await upload(page, [
      BEFORE,
      AFTER,
      fixture("pstats/dumps/dataviewer_before.prof"),
      fixture("pstats/dumps/dataviewer_after.prof"),
    ]);
    await pick(page, "before_3.11.prof", "a");
    await pick(page, "after_3.11.prof", "b");
    if (scheme === "light") await page.screenshot({ path: `${OUT}/profiles.png`, fullPage: true });
    await page.getByTestId("compare-picked").click();
    await expect(page.getByTestId("diff-table")).toBeVisible();
    await page.locator("[data-testid=chart-bar][data-function*='(regress)']").click();
    await expect(page.getByTestId("edge-function")).toContainText("(regress)");
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${OUT}/compare-${scheme}.png`, fullPage: true });
    if (scheme === "light") {
      // The differential flame graph with regress's sandwich.
      await page.locator(".flame .frame", { hasText: "regress (" }).click();
      await expect(page.getByTestId("sandwich")).toBeVisible();
      await page.getByTestId("flame-crumbs").locator("button").first().click();
      await page.getByTestId("flame-card").screenshot({ path: `${OUT}/flame-diff.png` });
    }
    if (scheme === "light") {
      await page.goto("/");
      await page.locator('[data-testid=profile-row][data-name="dataviewer_before.prof"] td.name a').click();
      await expect(page.getByTestId("pstats-table")).toBeVisible();
      await page.getByTestId("fn-cell").nth(3).click();
      await expect(page.getByTestId("edges").locator("table").first()).toBeVisible();
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: `${OUT}/profile.png` });
    }
    await context.close();
  }
  // A phone.
  const phone = await browser.newContext({ viewport: { width: 375, height: 800 }, deviceScaleFactor: 2 });
  const page = await phone.newPage();
  await page.goto("/");
  await upload(page, [BEFORE, AFTER]);
  await pick(page, "before_3.11.prof", "a");
  await pick(page, "after_3.11.prof", "b");
  await page.getByTestId("compare-picked").click();
  await expect(diffRow(page, "(regress)")).toBeVisible();
  await page.screenshot({ path: `${OUT}/compare-phone.png` });
  await phone.close();
});

test("screenshot of a runs comparison", async ({ browser }) => {
  test.setTimeout(120_000);
  const context = await browser.newContext({ colorScheme: "light", viewport: { width: 1360, height: 900 } });
  const page = await context.newPage();
  await page.goto("/");
  const n = [1, 2, 3, 4, 5, 6];
  await upload(page, n.flatMap((i) => [fixture(`runs/a_${i}.prof`), fixture(`runs/b_${i}.prof`)]));
  for (const i of n) {
    await pick(page, `a_${i}.prof`, "a");
    await pick(page, `b_${i}.prof`, "b");
  }
  await page.getByTestId("compare-picked").click();
  await expect(page.locator("[data-testid=runs-row][data-verdict=significant]")).toHaveCount(1);
  await expect(page.locator("[data-testid=flame] .frame").first()).toBeVisible();
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${OUT}/runs.png`, fullPage: true });
  await context.close();
});
