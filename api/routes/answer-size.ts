// How large an answer may be. On Lambda, API Gateway takes at most 6 MB of response payload (the
// body, JSON-escaped inside Lambda's own envelope, plus headers); a larger answer is API Gateway's
// own 502, not data. gust keeps every answer under MAX_ANSWER_BYTES on every store alike, so a
// request that works on a laptop works in the cloud: readings are paged to fit, and an export
// that cannot fit is refused with a 422 that says how to ask for less.

/** Room under Lambda's 6 MB for the envelope, JSON escaping of the body, and headers. */
export const MAX_ANSWER_BYTES = 5 * 1024 * 1024;

/**
 * How many of `items`, in order, fit into one answer, counting each as its JSON text and a comma,
 * with `overheadBytes` for the rest of the answer.
 */
export function itemsThatFit(items: readonly unknown[], overheadBytes = 1024): number {
  let bytes = overheadBytes;
  for (let i = 0; i < items.length; i++) {
    bytes += Buffer.byteLength(JSON.stringify(items[i])) + 1;
    if (bytes > MAX_ANSWER_BYTES) return i;
  }
  return items.length;
}
