/**
 * The module's layers, checked by `npm run check` (dependency-cruiser):
 *   src/index.ts -> src/flows.ts ~> lib/flows -> stages, publishers -> commands, plan
 * (~> is the import on first use that the engine's scan of src/ does not follow.)
 * The plan is pure data; stages and destinations build from the plan's rows, never from the
 * targets table or a manifest reader; nothing imports in a circle.
 */
/** @type {import("dependency-cruiser").IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "Modules that import each other cannot be read, tested or loaded one at a time.",
      from: { path: "^(src|lib)/" },
      to: { circular: true },
    },
    {
      name: "src-stays-out-of-lib",
      severity: "error",
      comment:
        "The engine parses src/ and everything it imports on every call (types included): " +
        "src/ reaches lib/ only through flows() in src/flows.ts, on first use.",
      from: { path: "^src/" },
      to: { path: "^lib/" },
    },
    {
      name: "plan-is-pure",
      severity: "error",
      comment: "The plan is data: no engine, no stages, no side effects.",
      from: { path: "^lib/plan/" },
      to: { path: ["^lib/(stages|flows|publishers|commands)/", "@dagger\\.io/dagger"] },
    },
    {
      name: "one-plan",
      severity: "error",
      comment:
        "Stages and destinations take the plan (or one of its targets); they never read a " +
        "manifest, parse a tag or consult the targets table themselves.",
      from: {
        path: ["^lib/stages/", "^lib/flows/destinations/", "^lib/publishers/"],
        // The one place the engine reads the project, for the plan (see prepareRun).
        pathNot: "^lib/stages/run-context\\.ts$",
      },
      to: {
        path: "^lib/plan/(targets|target-selection|release-metadata|manifest|packages|project-files|pyproject|python-project|pyo3-windows|patch|version|toml)\\.ts$",
      },
    },
    {
      name: "publishers-do-not-orchestrate",
      severity: "error",
      comment: "Publishers talk to the outside world; flows decide when.",
      from: { path: "^lib/publishers/" },
      to: { path: "^lib/flows/" },
    },
    {
      name: "stages-do-not-publish",
      severity: "error",
      comment: "Stages build lazy values; only publishers have side effects.",
      from: { path: "^lib/(stages|commands)/" },
      to: { path: "^lib/(flows|publishers)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    exclude: { path: "^(sdk|node_modules)/" },
  },
};
