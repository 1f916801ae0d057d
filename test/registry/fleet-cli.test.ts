// `npm run fleet -- import | export | list` as child processes against a real local API.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FLEET_CSV_COLUMNS, parseFleetCsv } from "../../simulator/fleet-csv.ts";
import { reading, startTestServer, TEST_SECRET, type TestServer } from "../api/fixture.ts";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "gust-fleet-cli-"));
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function fleet(args: string[], secret = TEST_SECRET) {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ["--import", "tsx", "simulator/fleet-cli.ts", ...args, "--target", server.url],
      { env: { ...process.env, API_KEY_SECRET: secret } },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const CSV = [
  FLEET_CSV_COLUMNS.join(","),
  'nl-1,"Windpark Zeewolde, fase 1",Zeewolde,Flevoland,52.38,5.51,Vestas V112,3,3300,112,119',
  "nl-2,Eemshaven,Het Hogeland,Groningen,53.44,6.83,Enercon E-126,2,7580,127,135",
  "nl-3,Krammer,Goeree-Overflakkee,Zuid-Holland,51.66,4.15,Enercon E-115,1,3000,116,92",
].join("\n");

describe("npm run fleet", () => {
  it("imports a fleet CSV, and a re-run changes nothing", async () => {
    const file = join(dir, "fleet.csv");
    writeFileSync(file, CSV);
    const first = await fleet(["import", file]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("imported 3 projects: 3 created, 0 replaced, 0 unchanged");
    expect(first.stderr).toContain("3/3 registered");
    const nl1 = await server.registry.get("nl-1");
    expect(nl1).toMatchObject({
      project: "Windpark Zeewolde, fase 1",
      rated_kw: 9900,
      tags: { municipality: "Zeewolde", province: "Flevoland", turbines: "3" },
    });
    const again = await fleet(["import", file]);
    expect(again.stdout).toContain("0 created, 0 replaced, 3 unchanged");
  });

  it("exports what it imported as the same fleet CSV", async () => {
    const out = join(dir, "export.csv");
    const exported = await fleet(["export", "--out", out]);
    expect(exported.code).toBe(0);
    expect(parseFleetCsv(readFileSync(out, "utf8"))).toEqual(parseFleetCsv(CSV));
  });

  it("exports and imports back a turbine registered with rated_kw alone, unchanged", async () => {
    await fetch(`${server.url}/v1/turbines/bare-1`, {
      method: "PUT",
      headers: {
        authorization: `Bearer ${server.operatorKey}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ rated_kw: 2000 }),
    });
    const before = await server.registry.get("bare-1");
    const out = join(dir, "bare.csv");
    expect((await fleet(["export", "--out", out])).code).toBe(0);
    expect(readFileSync(out, "utf8")).toContain("bare-1,,,,,,,,2000,,");
    const imported = await fleet(["import", out]);
    expect(imported.stderr).toBe(
      `gust fleet: importing 4 projects from ${out} into ${server.url}\n  4/4 registered\n`,
    );
    expect(imported.stdout).toContain("0 created, 0 replaced, 4 unchanged");
    expect((await server.registry.get("bare-1"))?.etag).toBe(before?.etag);
    await fetch(`${server.url}/v1/turbines/bare-1`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${server.operatorKey}` },
    });
  });

  it("lists registered and unregistered turbines with their status, and filters", async () => {
    await server.post(reading("nl-2", 1, { status: "fault" }));
    await server.post(reading("stray-9", 1));
    const listed = await fleet(["list"]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/nl-2\s+Eemshaven\s+Enercon E-126\s+15160\s+fault/);
    expect(listed.stdout).toMatch(/stray-9\s+\(unregistered\)/);
    const flevoland = await fleet(["list", "--tag", "province=Flevoland"]);
    expect(flevoland.stdout).toContain("nl-1");
    expect(flevoland.stdout).not.toContain("nl-2");
    expect(flevoland.stdout).toContain("1 turbines");
  });

  it("says what is wrong: the project and field the API refused, a bad key, a bad row", async () => {
    const long = join(dir, "long.csv");
    writeFileSync(long, `${CSV}\nnl-4,${"x".repeat(300)},Urk,Flevoland,52.6,5.6,V90,1,2000,90,80`);
    const refused = await fleet(["import", long]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/project nl-4 \(entry 3\): \/name: .*256/);
    expect(await server.registry.get("nl-4")).toBeNull();
    const wrongKey = await fleet(["list"], "another-secret-0123456789");
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(/401 .*operator key/);
    const bad = join(dir, "bad.csv");
    writeFileSync(bad, `${FLEET_CSV_COLUMNS.join(",")}\nnl-5,X,Y,Z,52,5,V90,1,-5,90,80`);
    const badRow = await fleet(["import", bad]);
    expect(badRow.code).toBe(1);
    expect(badRow.stderr).toMatch(/bad\.csv:2: rated_kw must be a number/);
  });
});
