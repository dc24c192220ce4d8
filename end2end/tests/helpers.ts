import * as path from "path";
import { test as base, expect, type BrowserContext, type Page } from "@playwright/test";

/**
 * Every test's pages are watched: an uncaught error (a panic in the wasm shows up as
 * "RuntimeError: unreachable") or a console error fails the test, so a view that breaks
 * while the assertions still pass is not missed. The browser's own lines about answers
 * it was refused ("Failed to load resource: … 404") are not the app's errors: tests ask
 * for those on purpose. PROFDIFF_CONSOLE_SURVEY=1 prints them instead of failing.
 */
export const test = base.extend<{ consoleErrors: void }>({
  consoleErrors: [
    async ({ context, browser }, use) => {
      const seen: string[] = [];
      const watch = (page: Page) => {
        page.on("pageerror", (e) => seen.push(`uncaught: ${e.message}`));
        page.on("console", (m) => {
          if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) seen.push(`console: ${m.text()}`);
        });
      };
      const watchAll = (c: BrowserContext) => {
        c.pages().forEach(watch);
        c.on("page", watch);
      };
      watchAll(context);
      // Contexts a test opens itself ("another browser" in the share tests) too.
      const newContext = browser.newContext;
      browser.newContext = async (...args) => {
        const c = await newContext.apply(browser, args);
        watchAll(c);
        return c;
      };
      try {
        await use();
      } finally {
        browser.newContext = newContext;
      }
      if (process.env.PROFDIFF_CONSOLE_SURVEY) {
        for (const line of seen) console.log(`CONSOLE-SURVEY ${line}`);
      } else {
        expect(seen, "errors in the browser's console").toEqual([]);
      }
    },
    { auto: true },
  ],
});

export { expect };

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A fixture from the Rust tests' fixture tree (tests/fixtures/...). */
export function fixture(rel: string): string {
  return path.resolve(__dirname, "../../tests/fixtures", rel);
}

export const BEFORE = fixture("compare/before_3.11.prof");
export const AFTER = fixture("compare/after_3.11.prof");
export const SMALL = fixture("pstats/dumps/cprofile_3.11.prof");

/** Waits until the tab has its server-minted session (the app has hydrated) and returns it. */
export async function sessionId(page: Page): Promise<string> {
  const badge = page.getByTestId("session-id");
  await expect(badge).not.toHaveText("…");
  const full = await badge.getAttribute("title");
  expect(full).toMatch(UUID);
  return full!;
}

/** Uploads files through the picker and waits until each one is stored. */
export async function upload(page: Page, files: string[]): Promise<void> {
  await sessionId(page);
  const before = await page.getByTestId("upload-ok").count();
  await page.getByTestId("file-input").setInputFiles(files);
  await expect(page.getByTestId("upload-ok")).toHaveCount(before + files.length);
}

/** The names in the profile list, in order. */
export async function listedNames(page: Page): Promise<string[]> {
  return page.getByTestId("profile-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-name") ?? ""));
}

/** Picks a profile as A (baseline) or B (candidate) in the list. */
export async function pick(page: Page, name: string, side: "a" | "b"): Promise<void> {
  // The list picks A and B by itself when the session holds exactly two profiles, and a
  // click on a picked button unpicks it: click only until the button shows the pick.
  const button = page.locator(`[data-testid=profile-row][data-name="${name}"]`).getByTestId(`pick-${side}`);
  await expect(async () => {
    if ((await button.getAttribute("aria-pressed")) !== "true") await button.click();
    await expect(button).toHaveAttribute("aria-pressed", "true", { timeout: 1000 });
  }).toPass();
}

/** The diff table row of a function whose display name contains `text`. */
export function diffRow(page: Page, text: string) {
  return page.getByTestId("diff-row").filter({ hasText: text });
}

/** Uploads the before/after pair and opens their comparison. */
export async function comparePair(page: Page): Promise<void> {
  await page.goto("/");
  await upload(page, [BEFORE, AFTER]);
  await pick(page, "before_3.11.prof", "a");
  await pick(page, "after_3.11.prof", "b");
  await page.getByTestId("compare-picked").click();
  await expect(page.getByTestId("diff-table")).toBeVisible();
}
