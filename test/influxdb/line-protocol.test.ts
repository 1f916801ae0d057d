// Line protocol escaping, as text and as a real influxd reads it back.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InfluxDbClient, seriesRows } from "../../api/store/influxdb-client.ts";
import {
  encodePoint,
  escapeKey,
  escapeMeasurement,
  pointTags,
  quoteFieldString,
} from "../../api/store/influxdb-line-protocol.ts";
import { type InfluxDbServer, startInfluxDb } from "../support/influxdb.ts";

// Every character line protocol treats specially, plus unicode.
const AWKWARD = [
  "plain",
  "with space",
  "a,comma",
  "an=equals",
  'a "quoted" word',
  "back\\slash",
  "Zoë’s wind ☃ 風力 🌬",
];

describe("escaping", () => {
  it("escapes commas and spaces in measurement names", () => {
    expect(escapeMeasurement("wind readings,v2")).toBe("wind\\ readings\\,v2");
    expect(escapeMeasurement("a=b")).toBe("a=b");
  });

  it("escapes commas, equals signs and spaces in tag keys, tag values, field keys", () => {
    expect(escapeKey("a b,c=d\\e")).toBe("a\\ b\\,c\\=d\\e");
    expect(escapeKey('say "hi"')).toBe('say\\ "hi"');
    expect(escapeKey("風力")).toBe("風力");
  });

  it("quotes string fields, escaping double quotes and backslashes only", () => {
    expect(quoteFieldString('a "b", c=d \\e')).toBe('"a \\"b\\", c=d \\\\e"');
    expect(quoteFieldString("")).toBe('""');
  });

  it("refuses a backslash that would escape (InfluxDB 1.x and 2.x/3.x read those differently)", () => {
    expect(() => escapeKey("ends\\")).toThrow(/backslash/);
    expect(() => escapeKey("a\\,b")).toThrow(/backslash/);
    expect(() => escapeKey("a\\\\b")).toThrow(/backslash/);
    expect(() => escapeMeasurement("a\\ b")).toThrow(/backslash/);
    expect(pointTags({ turbine_id: "t" }, { a: "x\\", b: "y\\z" })).toEqual({
      turbine_id: "t",
      b: "y\\z",
    });
  });

  it("refuses line breaks, which line protocol cannot carry", () => {
    expect(() => escapeKey("a\nb")).toThrow(/line break/);
    expect(() => quoteFieldString("a\rb")).toThrow(/line break/);
  });

  it("encodes a reading: floats bare, integers with i, time in ms, tags in name order", () => {
    const line = encodePoint(
      "readings",
      pointTags({ turbine_id: "T 1" }, { province: "Noord-Holland", model: "V90,2MW" }),
      {
        time: 1_700_000_000_000,
        power_kw: 1500,
        wind_speed_ms: 9.25,
        status: null,
        status_code: 42,
        version: 2,
        measures: { rotor_speed_rpm: 14.5 },
      },
    );
    expect(line).toBe(
      'readings,turbine_id=T\\ 1,model=V90\\,2MW,province=Noord-Holland power_kw=1500,wind_speed_ms=9.25,status="",status_code=42i,version=2i,rotor_speed_rpm=14.5 1700000000000',
    );
  });

  it("leaves out tags that are empty or named like a field, time, turbine_id or a measure", () => {
    expect(
      pointTags(
        { turbine_id: "t", measures: { owner: 1 } },
        {
          status: "x",
          time: "y",
          power_kw: "z",
          turbine_id: "other",
          owner: "o",
          empty: "",
          project: "p",
        },
      ),
    ).toEqual({ turbine_id: "t", project: "p" });
  });

  it("refuses non-finite numbers and fractional versions", () => {
    const reading = { time: 1, power_kw: Number.NaN, wind_speed_ms: 1, status: null, version: 1 };
    expect(() => encodePoint("m", {}, reading)).toThrow(/finite/);
    expect(() => encodePoint("m", {}, { ...reading, power_kw: 1, version: 1.5 })).toThrow(
      /integer/,
    );
  });
});

describe("as influxd reads it", () => {
  let influx: InfluxDbServer;
  let client: InfluxDbClient;
  beforeAll(async () => {
    influx = await startInfluxDb();
    client = new InfluxDbClient({ url: influx.url, database: await influx.createDatabase("lp") });
  });
  afterAll(async () => {
    await client?.close();
    await influx?.stop();
  });

  it("stores every awkward tag key, tag value, field key and string value unchanged", async () => {
    const lines = AWKWARD.map((text, i) => {
      const key = `k ${text}`;
      return encodePoint(
        `m ${text}`,
        { [key]: text, turbine_id: `t${i}` },
        {
          time: 1_700_000_000_000 + i,
          power_kw: i,
          wind_speed_ms: 1,
          status: text as never,
          version: 1,
          measures: {},
        },
      );
    });
    await client.write(lines);
    for (const [i, text] of AWKWARD.entries()) {
      const key = `k ${text}`;
      const measurement = `"m ${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
      const [series = []] = await client.query(`SELECT * FROM ${measurement} GROUP BY *`);
      expect(series).toHaveLength(1);
      expect(series[0]?.name).toBe(`m ${text}`);
      expect(series[0]?.tags).toEqual({ [key]: text, turbine_id: `t${i}` });
      expect(seriesRows(series)[0]).toMatchObject({
        status: text,
        power_kw: i,
        time: 1_700_000_000_000 + i,
      });
    }
  });
});
