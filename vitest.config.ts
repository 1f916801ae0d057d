import { availableParallelism } from "node:os";
import { configDefaults, defineConfig } from "vitest/config";

// Four tiers (docs/testing.md). `unit` is what the edit-test loop runs: no child process, no
// DuckDB file, no browser, no influxd; a listener only inside the test's own process. A test
// file belongs to `integration` unless it is named below.
const UNIT = [
  "test/analysis/aep.test.ts",
  "test/analysis/deficits-by-hand.test.ts",
  "test/analysis/period.test.ts",
  "test/analysis/report-layout.test.ts",
  "test/analysis/timestream-sql.test.ts",
  "test/analysis/wind-analyses.test.ts",
  "test/analysis/yaw-by-hand.test.ts",
  "test/api/answer-size.test.ts",
  "test/api/duckdb-open-failure.test.ts",
  "test/api/duckdb-vector-writes.test.ts",
  "test/api/export-concurrency.test.ts",
  "test/api/fast-validation.test.ts",
  "test/api/health.test.ts",
  "test/api/json-shape-limits.test.ts",
  "test/api/log.test.ts",
  "test/api/request-body.test.ts",
  "test/influxdb/bench-peer-lines.test.ts",
  "test/influxdb/query-answer.test.ts",
  "test/influxdb/token-refresh.test.ts",
  "test/lambda/alarms-schedule.test.ts",
  "test/lambda/dependency-deadlines.test.ts",
  "test/lambda/direct-ingest.test.ts",
  "test/mqtt/iot-answers.test.ts",
  "test/mqtt/publish-bound.test.ts",
  "test/registry/dynamodb-registry.test.ts",
  "test/registry/power-by-registry.test.ts",
  "test/registry/timestream-dimensions.test.ts",
  "test/simulator/fleet.test.ts",
  "test/alarms/last-seen.test.ts",
  "test/lambda/last-seen-dynamodb.test.ts",
  "test/store/retry-clock.test.ts",
  "test/simulator/physics.test.ts",
  "test/simulator/stats.test.ts",
  "test/simulator/verify.test.ts",
  "test/simulator/weather.test.ts",
  "test/timestream/store.test.ts",
  "test/timestream/wide-records.test.ts",
  "test/timestream/wire.test.ts",
  "test/time/time-words.test.ts",
];
// Pages in Debian's Chromium.
const BROWSER = [
  "test/analysis/report.test.ts",
  "test/api/docs.test.ts",
  "test/lambda/live-page.test.ts",
  "test/live/page.test.ts",
];
// The CDK app: synthesis and assertions on the template.
const INFRA = ["test/infra/**/*.test.ts"];

export default defineConfig({
  test: {
    // Integration tests start real servers and open real DuckDB files: give them room on 2 cores.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Vitest's default is one worker fewer than the cores: one file at a time on a 2-core machine,
    // though most files wait on a child process, a socket or a file. Two at least.
    maxWorkers: Math.max(2, availableParallelism()),
    reporters: ["default", "./test/support/summary-reporter.ts"],
    projects: [
      { extends: true, test: { name: "unit", include: UNIT } },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, ...UNIT, ...BROWSER, ...INFRA],
        },
      },
      { extends: true, test: { name: "browser", include: BROWSER } },
      { extends: true, test: { name: "infra", include: INFRA } },
    ],
  },
});
