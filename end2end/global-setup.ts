// `cargo leptos end-to-end` starts the server and Playwright at the same time; wait until
// the server answers /api/health before any test runs.
import { baseURL } from "./server-address";

export default async function globalSetup(): Promise<void> {
  const deadline = Date.now() + 180_000;
  let last = "no answer";
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${baseURL}/api/health`);
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = String(e);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`server at ${baseURL} did not become healthy within 180 s (${last})`);
}
