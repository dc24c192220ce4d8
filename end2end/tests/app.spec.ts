import { expect, test, type Page } from "@playwright/test";

/** Waits for hydration: the session id is filled in by the browser only. */
async function sessionId(page: Page): Promise<string> {
  const badge = page.getByTestId("session-id");
  await expect(badge).not.toHaveText("…");
  const full = await badge.getAttribute("title");
  expect(full).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  return full!;
}

test("page renders on the server and hydrates in the browser", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveTitle("profdiff");
  await expect(page.getByRole("heading", { name: "profdiff" })).toBeVisible();
  const before = await sessionId(page);
  // A click only does something once the wasm app has hydrated.
  await page.getByTestId("new-session").click();
  await expect(page.getByTestId("session-id")).not.toHaveAttribute("title", before);
  const after = await sessionId(page);
  expect(after).not.toBe(before);
  // The new id is what the tab keeps.
  expect(await page.evaluate(() => sessionStorage.getItem("profdiff.session"))).toBe(JSON.stringify(after));
});

test("two tabs get different session ids", async ({ context }) => {
  const a = await context.newPage();
  const b = await context.newPage();
  await a.goto("/");
  await b.goto("/");
  const idA = await sessionId(a);
  const idB = await sessionId(b);
  expect(idA).not.toBe(idB);
});

test("reload keeps the tab's session id", async ({ page }) => {
  await page.goto("/");
  const first = await sessionId(page);
  await page.reload();
  expect(await sessionId(page)).toBe(first);
});

test("GET /api/health answers", async ({ request }) => {
  const res = await request.get("/api/health");
  expect(res.status()).toBe(200);
  const body = await res.json();
  expect(body.status).toBe("ok");
  expect(body.storage).toBe("filesystem");
  expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
});

test("unknown API routes are JSON 404s", async ({ request }) => {
  const res = await request.get("/api/no-such-thing");
  expect(res.status()).toBe(404);
  expect(await res.json()).toEqual({ error: "no such API route" });
});
