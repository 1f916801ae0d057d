// The simulator is never the bottleneck: what generating the fleet's readings costs in realtime
// mode, and how fast replay can offer readings, to a sink that only acknowledges them (the bare
// node:http ceiling server) so that the API's own speed is not what is measured.
import { type ChildProcess, spawn } from "node:child_process";
import { Writable } from "node:stream";
import { generateFleet } from "../../simulator/fleet.ts";
import { projectReading, readingJson } from "../../simulator/project-reading.ts";
import { runSimulation } from "../../simulator/run.ts";
import { SyntheticWeather } from "../../simulator/weather/synthetic.ts";
import type { Benchmark } from "./figure.ts";

async function startSink(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "test/bench/bare-ceiling-server.ts"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve) => {
    child.stdout?.on("data", (chunk) => {
      const match = String(chunk).match(/(http:\/\/127\.0\.0\.1:\d+)/);
      if (match?.[1]) resolve(match[1]);
    });
  });
  return { child, url };
}

export const bench: Benchmark = async (log) => {
  // Realtime: one tick of 770 projects (weather, physics, the JSON each request carries).
  const fleet = generateFleet();
  const weather = new SyntheticWeather(1);
  const ticks = 200;
  const start = Date.now();
  const cpu0 = process.cpuUsage();
  for (let tick = 0; tick < ticks; tick++) {
    const time = start + tick * 1000;
    for (const project of fleet)
      JSON.stringify({ readings: [projectReading(project, weather.at(project, time), time)] });
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuPerTickMs = (cpu.user + cpu.system) / 1000 / ticks;
  const coreShare = cpuPerTickMs / 1000;
  log(
    `realtime: ${cpuPerTickMs.toFixed(2)} ms of CPU per 1 s tick of ${fleet.length} projects = ${(coreShare * 100).toFixed(2)}% of a core`,
  );

  // Replay generation alone: a day of the fleet at 1-minute steps, weather to request bodies.
  const genStart = performance.now();
  let generated = 0;
  let bytes = 0;
  for (let minute = 0; minute < 24 * 60; minute++) {
    const time = start + minute * 60_000;
    const batch = fleet.map((project) =>
      readingJson(projectReading(project, weather.at(project, time), time)),
    );
    generated += batch.length;
    bytes += `{"readings":[${batch.join(",")}]}`.length;
  }
  const generationRate = generated / ((performance.now() - genStart) / 1000);
  log(
    `replay generation alone (weather, physics, JSON bodies): ${Math.round(generationRate).toLocaleString("en")} readings/s, ${(bytes / 1e6).toFixed(0)} MB of JSON`,
  );

  // Replay with batching against the acknowledging sink, over HTTP with the real driver.
  const sink = await startSink();
  try {
    const to = Math.floor(Date.now() / 60_000) * 60_000;
    const report = await runSimulation({
      target: sink.url,
      mode: "replay",
      from: to - 24 * 3_600_000,
      to,
      stepMs: 60_000,
      batch: 1000,
      operator: true,
      keySecret: "bench-secret-0123456789abcdef",
      out: new Writable({ write: (_c, _e, done) => done() }),
    });
    log(
      `replay: ${report.readings.sent.toLocaleString("en")} readings offered in ${report.seconds} s = ${report.readingsPerSecond.toLocaleString("en")} readings/s`,
    );
    return [
      {
        name: "realtime generation, 770 projects at 1 s",
        value: coreShare * 100,
        unit: "% of a core",
        target: { text: "< 1% of a core", met: coreShare < 0.01 },
      },
      {
        name: "replay generation alone (weather, physics, JSON bodies)",
        value: generationRate,
        unit: "readings/s",
      },
      {
        name: "replay offer rate, batches of 1000, to an acknowledging sink",
        value: report.readingsPerSecond,
        unit: "readings/s",
        target: { text: ">= 200,000 readings/s", met: report.readingsPerSecond >= 200_000 },
      },
    ];
  } finally {
    sink.child.kill();
  }
};
