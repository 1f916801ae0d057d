// Short-lived signed tokens for the live stream. A browser's EventSource cannot send an
// Authorization header, and a long-lived key in a URL ends up in logs and history; so a page
// trades its reader key (in a header) for a token that opens streams for a few minutes:
//
//   gust.lv.<expiry, epoch seconds>.<base64url HMAC-SHA256(secret, "live-token:<expiry>")>
//
// It only reads the live view (stream and snapshot), never readings or anything else.
import { createHmac, timingSafeEqual } from "node:crypto";

export const LIVE_TOKEN_PREFIX = "gust.lv.";
/** Long enough for EventSource's own reconnects after a blip; the page mints a new one after. */
export const LIVE_TOKEN_TTL_S = 600;

function mac(secret: string, expiry: number): string {
  return createHmac("sha256", secret).update(`live-token:${expiry}`).digest("base64url");
}

export function mintLiveToken(
  secret: string,
  now: number,
  ttlSeconds = LIVE_TOKEN_TTL_S,
): { token: string; expiresAt: number } {
  const expiry = Math.floor(now / 1000) + ttlSeconds;
  return {
    token: `${LIVE_TOKEN_PREFIX}${expiry}.${mac(secret, expiry)}`,
    expiresAt: expiry * 1000,
  };
}

/** "ok", or why the token does not open the stream. */
export function checkLiveToken(
  secret: string,
  token: string,
  now: number,
): "ok" | "expired" | "invalid" {
  if (!token.startsWith(LIVE_TOKEN_PREFIX)) return "invalid";
  const [expiryText, given, ...rest] = token.slice(LIVE_TOKEN_PREFIX.length).split(".");
  if (!expiryText || !given || rest.length > 0 || !/^\d{1,12}$/.test(expiryText)) return "invalid";
  const expiry = Number(expiryText);
  const expected = Buffer.from(mac(secret, expiry));
  const actual = Buffer.from(given);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return "invalid";
  return expiry * 1000 > now ? "ok" : "expired";
}
