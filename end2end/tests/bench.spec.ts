// Timing of the comparison view in chromium (numbers for docs/BENCHMARKS.md). Runs only
// with PROFDIFF_UI_BENCH=1 against a release build: `make bench-ui`.
import { type Page } from "@playwright/test";
import { expect, fixture, pick, test, upload } from "./helpers";

test.use({ trace: "off" });
test.skip(!process.env.PROFDIFF_UI_BENCH, "set PROFDIFF_UI_BENCH=1 (make bench-ui)");

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs: number[]) =>
  `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`;

/**
 * Clicks `click` inside the page and measures, with the page's own clock, the time until
 * `wait` matches an element (whose text differs from `notText` when given) and the next
 * frame is painted. No polling from the test runner is involved.
 */
async function timeClick(page: Page, click: string, wait: string, notText?: string): Promise<number> {
  return (await timeClickBoth(page, click, wait, notText))[1];
}

/**
 * As `timeClick`, and also the time until the DOM change itself (the app's work, before
 * the wait for the frame that paints it): `[work, frame]`.
 */
async function timeClickBoth(page: Page, click: string, wait: string, notText?: string): Promise<[number, number]> {
  return page.evaluate(
    ({ click, wait, notText }) =>
      new Promise<[number, number]>((resolve) => {
        const ready = () => {
          const el = document.querySelector(wait);
          return !!el && (notText === undefined || el.textContent !== notText);
        };
        const t0 = performance.now();
        const obs = new MutationObserver(() => {
          if (ready()) {
            obs.disconnect();
            const work = performance.now() - t0;
            requestAnimationFrame(() => resolve([work, performance.now() - t0]));
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
  console.log(`UI-BENCH compare→interactive: ${fmt(compare)}`);
  console.log(`UI-BENCH re-sort 5,635 rows by name: ${fmt(resort)}`);
  console.log(`UI-BENCH status chip toggle: ${fmt(chips)}`);
});

test("compare two 50,000-function profiles: click → interactive table, re-sort, filter", async ({ page }) => {
  const [a, b] = (process.env.PROFDIFF_COMPARE_DUMPS ?? "").split(":");
  test.skip(!a || !b, "set PROFDIFF_COMPARE_DUMPS=A:B to bench/make_big_dump.py's two 50,000-function dumps (make bench-ui)");
  test.setTimeout(600_000);
  await page.goto("/");
  await upload(page, [a, b]);
  const [an, bn] = [a, b].map((f) => f.split("/").pop()!);
  const compare: number[] = [];
  const resort: number[] = [];
  const chips: number[] = [];
  const filter: number[] = [];
  const header = "table[data-testid=diff-table] thead tr:nth-child(2) th button";
  let [rows, changed] = ["", ""];
  for (let i = 0; i < 5; i++) {
    await page.goto("/");
    await expect(page.getByTestId("profile-row")).toHaveCount(2);
    await pick(page, an, "a");
    await pick(page, bn, "b");
    compare.push(await timeClick(page, "[data-testid=compare-picked]", "[data-testid=diff-row]"));
    // Another page size than the default (PROFDIFF_BENCH_PAGE_SIZE): rows per page drive
    // the browser's layout work on every sort and filter.
    if (process.env.PROFDIFF_BENCH_PAGE_SIZE) await page.getByTestId("page-size").selectOption(process.env.PROFDIFF_BENCH_PAGE_SIZE);
    // Every row (unchanged ones too), re-sorted by name.
    changed = (await page.getByTestId("diff-table").getAttribute("data-rows"))!;
    await page.getByTestId("chip-unchanged").click();
    await expect(page.getByTestId("diff-table")).not.toHaveAttribute("data-rows", changed);
    rows = (await page.getByTestId("diff-table").getAttribute("data-rows"))!;
    const first = await page.getByTestId("diff-row").first().textContent();
    resort.push(await timeClick(page, header, "[data-testid=diff-row]", first!));
    chips.push(await timeClick(page, "[data-testid=chip-unchanged]", `[data-testid=diff-table]:not([data-rows='${rows}'])`));
    // A name filter that keeps one row in ten thousand-odd.
    const box = page.getByTestId("compare-filter");
    const t0 = await page.evaluate(() => performance.now());
    await box.fill("function_4999");
    await expect(page.getByTestId("diff-table")).not.toHaveAttribute("data-rows", rows);
    filter.push((await page.evaluate(() => performance.now())) - t0);
    await box.fill("");
  }
  console.log(`UI-BENCH 50k compare (${changed} changed of ${rows} rows): compare→interactive: ${fmt(compare)}`);
  console.log(`UI-BENCH 50k compare: re-sort all rows by name: ${fmt(resort)}`);
  console.log(`UI-BENCH 50k compare: status chip toggle: ${fmt(chips)}`);
  console.log(`UI-BENCH 50k compare: name filter (timed from the test, includes polling): ${fmt(filter)}`);
});

/** Like `timeClick`, for a mouseover (hover details) on `target`. */
async function timeHover(page: Page, target: string, wait: string): Promise<number> {
  return page.evaluate(
    ({ target, wait }) =>
      new Promise<number>((resolve) => {
        const el = document.querySelector(wait)!;
        const before = el.textContent;
        const t0 = performance.now();
        const obs = new MutationObserver(() => {
          if (el.textContent !== before) {
            obs.disconnect();
            requestAnimationFrame(() => resolve(performance.now() - t0));
          }
        });
        obs.observe(el, { subtree: true, childList: true, characterData: true });
        document.querySelector(target)!.dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));
      }),
    { target, wait },
  );
}

test("flame graph of a 50,000-function profile: open, flip, zoom, hover", async ({ page }) => {
  const dump = process.env.PROFDIFF_FLAME_DUMP;
  test.skip(!dump, "set PROFDIFF_FLAME_DUMP to bench/make_tree_dump.py's 50,000-function dump (make bench-ui)");
  test.setTimeout(600_000);
  await page.goto("/");
  await upload(page, [dump!]);
  const open: number[] = [];
  const flip: number[] = [];
  const zoom: number[] = [];
  const zoomWork: number[] = [];
  const reset: number[] = [];
  const hover: number[] = [];
  const tableSort: number[] = [];
  let drawn = 0;
  const crumbs = "[data-testid=flame-crumbs]";
  for (let i = 0; i < 5; i++) {
    await page.goto("/");
    await expect(page.getByTestId("profile-row")).toHaveCount(1);
    open.push(await timeClick(page, "[data-testid=profile-row] td.name a", "[data-testid=flame] .frame"));
    drawn = await page.locator("[data-testid=flame] .frame").count();
    // Root at the bottom: every box moves.
    flip.push(await timeClick(page, ".flame-toolbar label:nth-of-type(1) input", "[data-testid=flame] .frame[data-node='0']:not([style*='top:0px'])"));
    // Zoom into the widest frame below the root, then back.
    const [work, frame] = await timeClickBoth(page, "[data-testid=flame] .frame:nth-child(2)", `${crumbs} button:nth-child(2)`);
    zoomWork.push(work);
    zoom.push(frame);
    const path = await page.locator(crumbs).textContent();
    reset.push(await timeClick(page, `${crumbs} button:first-child`, crumbs, path!));
    for (let n = 3; n < 13; n++) {
      hover.push(await timeHover(page, `[data-testid=flame] .frame:nth-child(${n})`, "[data-testid=flame-details]"));
    }
    // The pstats table of all 50,000 functions: by tottime, then by name (each puts
    // another function first: the root leads by cumtime and by name).
    const fnHeader = "[data-testid=pstats-table] thead th:nth-child(6) button";
    const totHeader = "[data-testid=pstats-table] thead th:nth-child(2) button";
    let first = await page.getByTestId("fn-cell").first().textContent();
    tableSort.push(await timeClick(page, totHeader, "[data-testid=fn-cell]", first!));
    first = await page.getByTestId("fn-cell").first().textContent();
    tableSort.push(await timeClick(page, fnHeader, "[data-testid=fn-cell]", first!));
  }
  console.log(`UI-BENCH flame 50k: frames drawn at the root: ${drawn}`);
  console.log(`UI-BENCH flame 50k: open profile page → flame graph drawn: ${fmt(open)}`);
  console.log(`UI-BENCH flame 50k: flip to root-at-bottom (redraw): ${fmt(flip)}`);
  console.log(`UI-BENCH flame 50k: click frame → zoomed: ${fmt(zoom)}`);
  console.log(`UI-BENCH flame 50k: click frame → zoomed DOM (work, before the frame wait): ${fmt(zoomWork)}`);
  console.log(`UI-BENCH flame 50k: breadcrumb → root: ${fmt(reset)}`);
  console.log(`UI-BENCH flame 50k: hover → details: ${fmt(hover)}`);
  console.log(`UI-BENCH profile view 50k: re-sort the pstats table (by tottime, by name): ${fmt(tableSort)}`);
});
