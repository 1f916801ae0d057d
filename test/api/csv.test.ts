// The one CSV writer: RFC 4180 quoting and OWASP formula-injection escaping, and GET /v1/power's
// CSV going through it.
import { describe, expect, it } from "vitest";
import { csvField, tableCsv, toCsv } from "../../api/csv.ts";
import { reading, startTestServer } from "./fixture.ts";

describe("csvField", () => {
  it.each([
    ["=1+2", `"'=1+2"`],
    ["+SUM(A1)", `"'+SUM(A1)"`],
    ["-2+3", `"'-2+3"`],
    ["@cmd", `"'@cmd"`],
    ["\tx", `"'\tx"`],
    ["\rx", `"'\rx"`],
    ['=HYPERLINK("http://x","y")', `"'=HYPERLINK(""http://x"",""y"")"`],
    ["a\rb", `"a\rb"`],
    ["a\nb", `"a\nb"`],
    ["a,b", `"a,b"`],
    ['say "hi"', `"say ""hi"""`],
    ["Zoë", "Zoë"],
    ["", ""],
  ])("%j -> %s", (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });

  it("writes numbers as numbers, negative ones too, and non-finite ones as empty", () => {
    expect(
      [-12, 0, 1.5, Number.NaN, Number.POSITIVE_INFINITY, null, undefined].map(csvField),
    ).toEqual(["-12", "0", "1.5", "", "", "", ""]);
    expect(csvField(new Date(Date.UTC(2026, 10, 23)))).toBe("2026-11-23T00:00:00.000Z");
  });

  it("writes a table with its header, through the same rules", () => {
    const table = { columnNames: () => ["name", "kw"], objects: () => [{ name: "=x", kw: -1 }] };
    expect(tableCsv(table)).toBe(`name,kw\n"'=x",-1\n`);
    expect(toCsv(["a"], [])).toBe("a\n");
  });
});

describe("GET /v1/power?format=csv", () => {
  it("escapes a turbine id a spreadsheet would read as a formula", async () => {
    const server = await startTestServer();
    try {
      const now = Date.now();
      expect((await server.post(reading("-23", 5, {}, now))).status).toBe(200);
      const from = new Date(now - 3_600_000).toISOString();
      const answer = await server.get(`/v1/power?by=turbine&format=csv&from=${from}&every=1h`);
      expect(answer.status).toBe(200);
      const lines = String(answer.body).trim().split("\n");
      expect(lines[0]).toBe("time,group,power_kw,energy_kwh,turbines");
      expect(lines.slice(1).join("\n")).toContain(`,"'-23",`);
    } finally {
      await server.stop();
    }
  });
});
