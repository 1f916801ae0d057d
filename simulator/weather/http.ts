// Fetching JSON from a weather service: keep-alive, backing off on 429 and 5xx (Retry-After
// when given), and giving up with null after a few tries, so that a project then reports
// nothing rather than made-up weather.
import { request } from "undici";
import { type Clock, sleep, systemClock } from "../../api/time/clock.ts";

export interface FetchLog {
  retries: number;
  failures: string[];
}

export async function fetchJson(
  url: string,
  log: FetchLog,
  attempts = 5,
  clock: Clock = systemClock,
): Promise<unknown | null> {
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const response = await request(url, { headersTimeout: 30_000, bodyTimeout: 30_000 });
      const text = await response.body.text();
      if (response.statusCode === 200) return JSON.parse(text);
      if (response.statusCode !== 429 && response.statusCode < 500) {
        log.failures.push(`${redact(url)} answered ${response.statusCode}: ${text.slice(0, 200)}`);
        return null;
      }
      const retryAfter = Number(response.headers["retry-after"]);
      log.retries++;
      await sleep(
        clock,
        Number.isFinite(retryAfter)
          ? retryAfter * 1000
          : Math.random() * Math.min(8000, 250 * 2 ** attempt),
      );
    } catch (error) {
      log.retries++;
      if (attempt === attempts) {
        log.failures.push(`${redact(url)}: ${(error as Error).message}`);
        return null;
      }
      await sleep(clock, Math.random() * Math.min(8000, 250 * 2 ** attempt));
    }
  }
  log.failures.push(`${redact(url)}: still throttled after ${attempts} attempts`);
  return null;
}

/** API keys stay out of logs. */
function redact(url: string): string {
  return url.replace(/(appid|apikey|key)=[^&]+/gi, "$1=…");
}
