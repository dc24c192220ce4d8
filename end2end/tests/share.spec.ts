import { comparePair, diffRow, expect, sessionId, SMALL, test, upload } from "./helpers";

const LINK = /^http:\/\/127\.0\.0\.1:\d+\/s\/[A-Za-z0-9_-]{32}(\?.*)?$/;

test("Share a comparison: another browser (another session) opens the link read-only; revoked, it is a 404", async ({ page, browser }) => {
  await comparePair(page);
  const owner = await sessionId(page);
  // The view state rides in the link: sort by name first.
  await page.goto(page.url() + "&sort=function");
  await expect(page.getByTestId("diff-table")).toBeVisible();
  await page.getByTestId("share").click();
  const box = page.getByTestId("share-link");
  await expect(box).toHaveValue(LINK);
  const link = await box.inputValue();
  expect(link).toContain("sort=function");
  await expect(page.getByTestId("share-made")).toContainText("read-only, until");

  // A fresh context: no cookies, no sessionStorage, its own session.
  const other = await browser.newContext();
  const reader = await other.newPage();
  const response = await reader.goto(link);
  expect(response!.status()).toBe(200);
  await expect(reader.getByTestId("share-banner")).toContainText("Shared, read-only: Comparison of before_3.11.prof · after_3.11.prof");
  await expect(diffRow(reader, "(regress)")).toHaveAttribute("data-status", "slower");
  await expect(reader.getByTestId("flame-card")).toBeVisible();
  expect(await sessionId(reader)).not.toBe(owner);
  // Nothing that writes: no share button, no merge, the pickers offer only the snapshot.
  await expect(reader.getByTestId("share")).toHaveCount(0);
  await expect(reader.getByTestId("pick-baseline").locator("option:not([disabled])")).toHaveCount(2);
  // Changing the view keeps the reader on the share's address.
  await diffRow(reader, "(regress)").click();
  await expect(reader).toHaveURL(/\/s\/[A-Za-z0-9_-]{32}\?.*row=/);
  // Exports work from the share.
  const download = reader.waitForEvent("download");
  await reader.getByTestId("export-csv").click();
  expect((await download).suggestedFilename()).toBe("profdiff-before_3.11-vs-after_3.11.csv");

  // The owner lists and revokes it.
  await page.goto("/");
  const row = page.getByTestId("share-row");
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId("share-row-link")).toHaveText(link);
  await row.getByTestId("share-revoke").click();
  await expect(page.getByTestId("shares-status")).toContainText("Revoked");
  await expect(page.getByTestId("share-row")).toHaveCount(0);

  const again = await reader.goto(link);
  expect(again!.status()).toBe(404);
  await expect(reader.getByTestId("share-gone")).toContainText("unknown, was revoked by its owner, or has expired");
  await expect(reader.getByTestId("diff-table")).toHaveCount(0);
  await other.close();
});

test("Share a profile: the link opens its profile view in another browser", async ({ page, browser }) => {
  await page.goto("/");
  await upload(page, [SMALL]);
  await page.getByTestId("profile-row").getByRole("link").first().click();
  await expect(page.getByTestId("profile-name")).toHaveText("cprofile_3.11.prof");
  await page.getByTestId("share").click();
  await expect(page.getByTestId("share-link")).toHaveValue(LINK);
  const link = await page.getByTestId("share-link").inputValue();
  const other = await browser.newContext();
  const reader = await other.newPage();
  await reader.goto(link);
  await expect(reader.getByTestId("share-banner")).toContainText("Profile cprofile_3.11.prof");
  await expect(reader.getByTestId("profile-name")).toHaveText("cprofile_3.11.prof");
  await expect(reader.getByTestId("share")).toHaveCount(0);
  // An id nobody made: the not-found page, with a 404.
  const bogus = await reader.goto("/s/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  expect(bogus!.status()).toBe(404);
  await expect(reader.getByTestId("share-gone")).toBeVisible();
  await other.close();
});
