// Parsing InfluxDB /query answers (the JSON the v1 API returns) into the port's plain rows.
import { describe, expect, it } from "vitest";
import { answerInfluxQuery } from "../../api/queries/influxql.ts";
import {
  InfluxDbError,
  influxIdentifier,
  influxString,
  parseQueryAnswer,
  seriesRows,
} from "../../api/store/influxdb-client.ts";

describe("parseQueryAnswer", () => {
  it("gives each statement's series, with tags and columns", () => {
    const answer = parseQueryAnswer({
      results: [
        {
          statement_id: 0,
          series: [
            {
              name: "readings",
              tags: { turbine_id: "A", province: "" },
              columns: ["time", "mean_kw"],
              values: [
                [1_700_000_000_000, 12.5],
                [1_700_000_300_000, null],
              ],
            },
          ],
        },
        { statement_id: 1 },
      ],
    });
    expect(answer).toHaveLength(2);
    expect(answer[1]).toEqual([]);
    expect(seriesRows(answer[0] ?? [])).toEqual([
      { turbine_id: "A", province: null, time: 1_700_000_000_000, mean_kw: 12.5 },
      { turbine_id: "A", province: null, time: 1_700_000_300_000, mean_kw: null },
    ]);
  });

  it("throws a statement's error, and an answer-wide error, as non-retryable", () => {
    const statement = () =>
      parseQueryAnswer({ results: [{ statement_id: 0, error: "field type conflict" }] });
    expect(statement).toThrow(/field type conflict/);
    try {
      parseQueryAnswer({ error: "error parsing query: found EOF" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InfluxDbError);
      expect((error as InfluxDbError).retryable).toBe(false);
      expect((error as Error).message).toMatch(/found EOF/);
    }
  });

  it("keeps strings, booleans and numbers, and turns other JSON into text", () => {
    const rows = seriesRows(
      parseQueryAnswer({
        results: [
          {
            series: [{ name: "m", columns: ["s", "b", "o"], values: [["x", true, [1, 2]]] }],
          },
        ],
      })[0] ?? [],
    );
    expect(rows).toEqual([{ s: "x", b: true, o: "[1,2]" }]);
  });
});

describe("InfluxQL literals", () => {
  it("escapes quotes and backslashes in strings and identifiers", () => {
    expect(influxString("it's a \\ test")).toBe("'it\\'s a \\\\ test'");
    expect(influxIdentifier('my "db"')).toBe('"my \\"db\\""');
  });
});

describe("finishing steps", () => {
  const answer = (series: object[][]) => async () =>
    parseQueryAnswer({ results: series.map((s) => ({ series: s })) });

  it("sums per-turbine bin means across turbines, one count per turbine, grouped, nulls last", async () => {
    const query = '-- gust:power {"monthly":false,"by":"province"}\nSELECT ...';
    const rows = await answerInfluxQuery(
      query,
      answer([
        [
          {
            name: "r",
            tags: { turbine_id: "A", province: "Zeeland" },
            columns: ["time", "kw", "n"],
            values: [
              [0, 100, 2],
              [300_000, 50, 1],
            ],
          },
          {
            name: "r",
            tags: { turbine_id: "B", province: "Zeeland" },
            columns: ["time", "kw", "n"],
            values: [[0, 300, 4]],
          },
          {
            name: "r",
            tags: { turbine_id: "C", province: "" },
            columns: ["time", "kw", "n"],
            values: [[0, 7, 1]],
          },
          {
            name: "r",
            tags: { turbine_id: "D", province: "Drenthe" },
            columns: ["time", "kw", "n"],
            values: [[0, 1, 1]],
          },
        ],
      ]),
    );
    expect(rows).toEqual([
      { bin_ms: 0, grp: "Drenthe", power_kw: 1, turbines: 1 },
      { bin_ms: 0, grp: "Zeeland", power_kw: 400, turbines: 2 },
      { bin_ms: 0, grp: null, power_kw: 7, turbines: 1 },
      { bin_ms: 300_000, grp: "Zeeland", power_kw: 50, turbines: 1 },
    ]);
  });

  it("combines daily sums and counts into calendar months", async () => {
    const day = 86_400_000;
    const rows = await answerInfluxQuery(
      '-- gust:power {"monthly":true,"by":"none"}\nSELECT ...',
      answer([
        [
          {
            name: "r",
            tags: { turbine_id: "A" },
            columns: ["time", "kw", "n"],
            // 30 and 31 January, then 1 February 1970.
            values: [
              [29 * day, 10, 1],
              [30 * day, 30, 2],
              [31 * day, 5, 1],
            ],
          },
        ],
      ]),
    );
    expect(rows).toEqual([
      { bin_ms: 0, grp: "all", power_kw: 40 / 3, turbines: 1 },
      { bin_ms: 31 * day, grp: "all", power_kw: 5, turbines: 1 },
    ]);
  });

  it("merges a turbine's series before cutting readings at the limit, time ordered", async () => {
    const rows = await answerInfluxQuery(
      '-- gust:readings {"limit":2}\nSELECT ...',
      answer([
        [
          {
            name: "r",
            tags: { turbine_id: "A", province: "X" },
            columns: ["time", "power_kw", "status"],
            values: [
              [3, 1, ""],
              [5, 1, "idle"],
            ],
          },
          {
            name: "r",
            tags: { turbine_id: "A", province: "" },
            columns: ["time", "power_kw", "status"],
            values: [[1, 2, "producing"]],
          },
        ],
      ]),
    );
    expect(rows).toEqual([
      { time_ms: 1, turbine_id: "A", power_kw: 2, status: "producing" },
      { time_ms: 3, turbine_id: "A", province: "X", power_kw: 1, status: null },
    ]);
  });

  it("passes InfluxQL without a header through as rows", async () => {
    const rows = await answerInfluxQuery(
      "SHOW MEASUREMENTS",
      answer([[{ name: "measurements", columns: ["name"], values: [["readings"]] }]]),
    );
    expect(rows).toEqual([{ name: "readings" }]);
  });
});
