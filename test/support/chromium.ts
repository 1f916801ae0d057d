// Real headless Chromium from Debian (`apt-get install chromium`), driven by playwright-core.
// Never a downloaded browser: CI installs the Debian package in .ci/run.
import { existsSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";

const CANDIDATES = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"];

export async function launchChromium(): Promise<Browser> {
  const executablePath = CANDIDATES.find((path): path is string => !!path && existsSync(path));
  if (!executablePath) {
    throw new Error(
      "Chromium not found: install it with `apt-get install chromium` (or set CHROMIUM_PATH).",
    );
  }
  return chromium.launch({
    executablePath,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
    ],
  });
}

/** Every request a page makes, and every console error or uncaught exception it shows. */
export function watchPage(page: Page): { requests: string[]; errors: string[] } {
  const watched = { requests: [] as string[], errors: [] as string[] };
  page.on("request", (request) => watched.requests.push(request.url()));
  page.on("console", (message) => {
    if (message.type() === "error") watched.errors.push(message.text());
  });
  page.on("pageerror", (error) => watched.errors.push(error.message));
  return watched;
}
