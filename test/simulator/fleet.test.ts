// The generated fleet is calibrated to CBS 2020 and deterministic; CSV fleets fail clearly.
import { describe, expect, it } from "vitest";
import { POWER_KW_RANGE } from "../../api/readings/fields.ts";
import { CBS_2020, fleetCapacityKw, generateFleet } from "../../simulator/fleet.ts";
import { FLEET_CSV_COLUMNS, parseFleetCsv } from "../../simulator/fleet-csv.ts";
import { projectEntry } from "../../simulator/fleet-registry.ts";

describe("generated fleet", () => {
  const fleet = generateFleet();

  it("matches CBS 70960ned at the end of 2020", () => {
    expect(fleet).toHaveLength(CBS_2020.projects);
    expect(fleet.reduce((sum, p) => sum + p.turbines, 0)).toBe(CBS_2020.turbines);
    expect(Math.abs(fleetCapacityKw(fleet) / 1000 - CBS_2020.megawatts)).toBeLessThan(10);
  });

  it("sends every project's full output within the contract's power range", () => {
    // One reading per project is the farm's output: the largest (hundreds of MW) must not be a
    // 422, as it was when the range stopped at 100 MW and \`npm start\` lost those readings.
    const largest = Math.max(...fleet.map((p) => projectEntry(p).rated_kw));
    expect(largest).toBeGreaterThan(100_000);
    expect(largest).toBeLessThanOrEqual(POWER_KW_RANGE.max);
  });

  it("has Flevoland largest, then Groningen and Fryslân", () => {
    const byProvince = new Map<string, number>();
    for (const p of fleet)
      byProvince.set(p.province, (byProvince.get(p.province) ?? 0) + p.model.ratedKw * p.turbines);
    const ranked = [...byProvince.entries()].sort((a, b) => b[1] - a[1]).map(([name]) => name);
    expect(ranked.slice(0, 3)).toEqual(["Flevoland", "Groningen", "Fryslân"]);
  });

  it("has many small projects and a few large ones, mostly 2-4 MW turbines on tall hubs", () => {
    const singles = fleet.filter((p) => p.turbines === 1).length;
    expect(singles / fleet.length).toBeGreaterThan(0.5);
    expect(Math.max(...fleet.map((p) => p.turbines))).toBeGreaterThan(40);
    const modern = fleet
      .filter((p) => p.model.ratedKw >= 2000 && p.model.ratedKw <= 4000)
      .reduce((s, p) => s + p.turbines, 0);
    expect(modern / CBS_2020.turbines).toBeGreaterThan(0.45);
  });

  it("is the same for the same seed and different for another", () => {
    expect(generateFleet(2020)).toEqual(fleet);
    expect(generateFleet(7)).not.toEqual(fleet);
  });

  it("describes each project for the registry, rated power the farm's total", () => {
    const project = fleet[0] as (typeof fleet)[number];
    const entry = projectEntry(project);
    expect(entry).toMatchObject({
      turbine_id: project.id,
      project: project.name,
      model: project.model.name,
      rated_kw: project.model.ratedKw * project.turbines,
      latitude: project.latitude,
      tags: {
        municipality: project.municipality,
        province: project.province,
        turbines: String(project.turbines),
      },
    });
  });
});

describe("fleet CSV", () => {
  const header = FLEET_CSV_COLUMNS.join(",");
  const row =
    'nl-1,"Windpark Zeewolde, fase 1",Zeewolde,Flevoland,52.38,5.51,Vestas V112,3,3300,112,119';

  it("reads projects, quoted commas included", () => {
    const [project] = parseFleetCsv(`${header}\n${row}\n`);
    expect(project).toMatchObject({
      id: "nl-1",
      name: "Windpark Zeewolde, fase 1",
      turbines: 3,
      hubHeightM: 119,
    });
    expect(project?.model).toMatchObject({ ratedKw: 3300, rotorDiameterM: 112 });
  });

  it("names the line and the field of a bad row", () => {
    expect(() =>
      parseFleetCsv(
        `${header}\n${row}\n${row.replace("nl-1", "nl-2").replace(",3,3300", ",three,3300")}`,
        "fleet.csv",
      ),
    ).toThrow(/^fleet\.csv:3: turbines must be a number/);
    expect(() => parseFleetCsv(`${header}\n${row}\n${row}`, "fleet.csv")).toThrow(
      /^fleet\.csv:3: id "nl-1" appears twice/,
    );
    expect(() => parseFleetCsv("id,name\nx,y", "fleet.csv")).toThrow(
      /^fleet\.csv:1: missing column\(s\) municipality/,
    );
    expect(() => parseFleetCsv(`${header}\n${row.replace("52.38", "12")}`, "f.csv")).toThrow(
      /^f\.csv:2: latitude/,
    );
  });
});
