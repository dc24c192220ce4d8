// The address the server listens on, from the one place it is configured: the environment
// override PROFDIFF_SITE_ADDR, else `site-addr` in ../Leptos.toml (or PROFDIFF_CONFIG).
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

export function serverAddress(): string {
  const fromEnv = process.env.PROFDIFF_SITE_ADDR;
  if (fromEnv) return fromEnv;
  const configPath = resolve(__dirname, "..", process.env.PROFDIFF_CONFIG ?? "Leptos.toml");
  const text = readFileSync(configPath, "utf8");
  const match = text.match(/^\s*site-addr\s*=\s*"([^"]+)"/m);
  return match ? match[1] : "127.0.0.1:3000";
}

export const baseURL = `http://${serverAddress()}`;
