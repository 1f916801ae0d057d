// The import rules of docs/architecture.md, checked by `npm run check` (dependency-cruiser).
// Dependencies point one way: entry points and transports (routes, the MQTT bridges, the
// runtimes) import the domain; the domain never imports them, nor the simulator, the notebooks or
// infra; no module or domain folder reaches itself again through its imports.

/**
 * The domain folders, lowest first: a folder may import the folders before it, never one after
 * it, so no two of them import each other. The reading's contract is at the bottom; the store
 * runs the queries; analyses, the live view and the alarms (judged on the live view) sit on top.
 */
const LAYERS = [
  "turbines",
  "export",
  "charts",
  "readings",
  "time",
  "auth",
  "registry",
  "queries",
  "store",
  "ingest",
  "analyses",
  "live",
  "alarms",
];
const DOMAIN = `^api/(${LAYERS.join("|")})/`;
/** Transports and runtimes: the HTTP routes, the Hono app, MQTT, entry points and CLIs. */
const EDGE =
  "^api/(routes/|mqtt/|runtime/|app[.]ts$|serve[.]ts$|server[.]ts$|lambda[^/]*[.]ts$|ingest-listener[.]ts$|live-feed[.]ts$|keys-cli[.]ts$)";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-cycle",
      comment: "A module that reaches itself through its imports: split out what both need.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    ...LAYERS.slice(0, -1).map((layer, i) => ({
      name: `layer-${layer}`,
      comment: `api/${layer} is below ${LAYERS.slice(i + 1).join(", ")}: it must not import them.`,
      severity: "error",
      from: { path: `^api/${layer}/` },
      to: { path: `^api/(${LAYERS.slice(i + 1).join("|")})/` },
    })),
    {
      name: "domain-not-edge",
      comment: "The domain never imports routes, transports, runtimes or entry points.",
      severity: "error",
      from: { path: DOMAIN },
      to: { path: EDGE },
    },
    {
      name: "api-not-outer",
      comment: "api/ never imports the simulator, the notebooks, infra or tests: they import it.",
      severity: "error",
      from: { path: "^api/" },
      to: { path: "^(simulator|notebooks|infra|test)/" },
    },
    {
      name: "outer-not-edge",
      comment: "The simulator and the notebooks use the domain, not the HTTP layer's helpers.",
      severity: "error",
      from: { path: "^(simulator|notebooks)/" },
      to: { path: "^api/(routes|mqtt)/" },
    },
    {
      name: "domain-not-hono",
      comment:
        "Hono is the HTTP transport's: the domain takes and returns plain values (schemas may use @hono/zod-openapi's z).",
      severity: "error",
      from: { path: DOMAIN },
      to: { path: "node_modules/hono/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsConfig: { fileName: "tsconfig.json" },
    // Type-only imports count: a type is a dependency as much as a value is.
    tsPreCompilationDeps: true,
    // Worktrees that link node_modules from another checkout report paths as node_modules/...
    preserveSymlinks: true,
  },
};
