import { type Page } from "@playwright/test";
import { AFTER, BEFORE, comparePair, diffRow, expect, pick, sessionId, SMALL, test, upload } from "./helpers";

/** The page never scrolls sideways: wide tables scroll inside their own box. */
async function noPageOverflow(page: Page): Promise<void> {
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
  }));
  expect(scroll).toBeLessThanOrEqual(width);
}

test("a 375 px phone: every view fits the width", async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 375, height: 740 } });
  const page = await context.newPage();
  await page.goto("/");
  await upload(page, [BEFORE, AFTER, SMALL]);
  await noPageOverflow(page);
  await page.locator('[data-testid=profile-row][data-name="cprofile_3.11.prof"] td.name a').click();
  await expect(page.getByTestId("pstats-table")).toBeVisible();
  await noPageOverflow(page);
  await page.goto("/");
  await pick(page, "before_3.11.prof", "a");
  await pick(page, "after_3.11.prof", "b");
  await page.getByTestId("compare-picked").click();
  await expect(diffRow(page, "(regress)")).toBeVisible();
  await noPageOverflow(page);
  await context.close();
});

test("dark mode follows the system", async ({ browser }) => {
  const background = async (scheme: "light" | "dark") => {
    const context = await browser.newContext({ colorScheme: scheme });
    const page = await context.newPage();
    await page.goto("/");
    const rgb = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await context.close();
    const [r, g, b] = rgb.match(/\d+/g)!.map(Number);
    return (r + g + b) / 3;
  };
  expect(await background("light")).toBeGreaterThan(200);
  expect(await background("dark")).toBeLessThan(50);
});

test("keyboard: sort a column, select a row and a bar without a mouse", async ({ page }) => {
  await comparePair(page);
  // Sort headers are buttons: focus one and press Enter.
  const byName = page.locator("table[data-testid=diff-table] thead tr:nth-child(2) th").first().getByRole("button");
  await byName.focus();
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/sort=function/);
  // The focused control shows a visible focus ring.
  const outline = await byName.evaluate((el) => getComputedStyle(el).outlineStyle);
  expect(outline).not.toBe("none");
  // Rows are focusable; Enter selects.
  const row = diffRow(page, "(improve)");
  await row.focus();
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("edge-function")).toContainText("(improve)");
  // So are the chart's bars.
  await page.locator("[data-testid=chart-bar][data-function*='(regress)']").focus();
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("edge-function")).toContainText("(regress)");
  expect(await sessionId(page)).toBeTruthy();
});
