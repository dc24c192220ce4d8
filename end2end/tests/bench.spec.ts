// Timing of the comparison view in chromium (numbers for docs/BENCHMARKS.md). Runs only
// with PROFDIFF_UI_BENCH=1 against a release build: `make bench-ui`.
import { expect, test, type Page } from "@playwright/test";
import { fixture, pick, upload } from "./helpers";

test.skip(!process.env.PROFDIFF_UI_BENCH, "set PROFDIFF_UI_BENCH=1 (make bench-ui)");

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Clicks `click` inside the page and measures, with the page's own clock, the time until
 * `wait` matches an element (whose text differs from `notText` when given) and the next
 * frame is painted. No polling from the test runner is involved.
 */
async function timeClick(page: Page, click: string, wait: string, notText?: string): Promise<number> {
  return page.evaluate(
    ({ click, wait, notText }) =>
      new Promise<number>((resolve) => {
        const ready = () => {
          const el = document.querySelector(wait);
          return !!el && (notText === undefined || el.textContent !== notText);
        };
        const t0 = performance.now();
        const obs = new MutationObserver(() => {
          if (ready()) {
            obs.disconnect();
            requestAnimationFrame(() => resolve(performance.now() - t0));
          }
        });
        obs.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
        (document.querySelector(click) as HTMLElement).click();
      }),
    { click, wait, notText },
  );
}

test("compare the dataviewer pair: click → interactive table, and re-sort", async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto("/");
  await upload(page, [fixture("pstats/dumps/dataviewer_before.prof"), fixture("pstats/dumps/dataviewer_after.prof")]);
  const compare: number[] = [];
  const resort: number[] = [];
  const chips: number[] = [];
  const header = "table[data-testid=diff-table] thead tr:nth-child(2) th button";
  for (let i = 0; i < 7; i++) {
    await page.goto("/");
    await expect(page.getByTestId("profile-row")).toHaveCount(2);
    await pick(page, "dataviewer_before.prof", "a");
    await pick(page, "dataviewer_after.prof", "b");
    compare.push(await timeClick(page, "[data-testid=compare-picked]", "[data-testid=diff-row]"));
    // Re-sort all 5,635 rows (unchanged included) by name, then by Δ again.
    await page.getByTestId("chip-unchanged").click();
    await expect(page.getByTestId("diff-table")).toHaveAttribute("data-rows", "5635");
    const first = await page.getByTestId("diff-row").first().textContent();
    resort.push(await timeClick(page, header, "[data-testid=diff-row]", first!));
    chips.push(await timeClick(page, "[data-testid=chip-unchanged]", "[data-testid=diff-table]:not([data-rows='5635'])"));
  }
  const fmt = (xs: number[]) =>
    `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`;
  console.log(`UI-BENCH compare→interactive: ${fmt(compare)}`);
  console.log(`UI-BENCH re-sort 5,635 rows by name: ${fmt(resort)}`);
  console.log(`UI-BENCH status chip toggle: ${fmt(chips)}`);
});
