// The one logger (api/log.ts): JSON lines a log query can filter, errors that keep their stack,
// a Lambda invocation's keys, and a level below which nothing is written.
import { describe, expect, it } from "vitest";
import { Logger, type LogLevel } from "../../api/log.ts";
import { systemClock } from "../../api/time/clock.ts";

function logger(level?: string) {
  const lines: { level: LogLevel; record: Record<string, unknown> }[] = [];
  const log = new Logger({
    level,
    clock: { ...systemClock, now: () => Date.UTC(2030, 0, 2, 3, 4, 5) },
    write: (lineLevel, line) => lines.push({ level: lineLevel, record: JSON.parse(line) }),
  });
  return { log, lines };
}

describe("the logger", () => {
  it("writes one JSON line per event with the event's keys and the clock's time", () => {
    const { log, lines } = logger();
    log.info("role key rotated", { role: "operator", generation: 3 });
    expect(lines).toEqual([
      {
        level: "INFO",
        record: {
          level: "INFO",
          message: "role key rotated",
          timestamp: "2030-01-02T03:04:05.000Z",
          service: "gust",
          role: "operator",
          generation: 3,
        },
      },
    ]);
  });

  it("keeps an error's name, message and stack, alone or among keys", () => {
    const { log, lines } = logger();
    log.error("a live subscriber failed", new TypeError("boom"));
    log.error("unhandled error", { request_id: "r-1", error: new RangeError("far"), n: 2n });
    expect(lines[0]?.record.error).toMatchObject({ name: "TypeError", message: "boom" });
    expect(JSON.stringify(lines[0]?.record.error)).toContain("log.test.ts");
    expect(lines[1]?.record).toMatchObject({
      request_id: "r-1",
      error: { name: "RangeError", message: "far" },
      n: "2",
    });
  });

  it("adds a Lambda invocation's keys to every later line, cold start only on the first", () => {
    const { log, lines } = logger();
    log.addContext({ awsRequestId: "a-1", functionName: "gust-api" });
    log.warn("first");
    log.addContext({ awsRequestId: "a-2", functionName: "gust-api" });
    log.warn("second");
    expect(lines.map((l) => [l.record.function_request_id, l.record.cold_start])).toEqual([
      ["a-1", true],
      ["a-2", false],
    ]);
  });

  it("writes nothing below its level, and takes the level in any case", () => {
    const { log, lines } = logger("warn");
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");
    expect(lines.map((l) => l.level)).toEqual(["WARN", "ERROR"]);
  });
});
