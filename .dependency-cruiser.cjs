/**
 * The module's layers, checked by `npm run check` (dependency-cruiser):
 *   src/index.ts -> flows -> stages, publishers -> commands, plan
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
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "index-imports-flows",
      severity: "error",
      comment: "src/index.ts stays thin: each function calls one flow.",
      from: { path: "^src/index\\.ts$" },
      to: { path: "^src/", pathNot: "^src/flows/" },
    },
    {
      name: "plan-is-pure",
      severity: "error",
      comment: "The plan is data: no engine, no stages, no side effects.",
      from: { path: "^src/plan/" },
      to: { path: ["^src/(stages|flows|publishers|commands)/", "@dagger\\.io/dagger"] },
    },
    {
      name: "one-plan",
      severity: "error",
      comment:
        "Stages and destinations take the plan (or one of its targets); they never read a " +
        "manifest, parse a tag or consult the targets table themselves.",
      from: {
        path: ["^src/stages/", "^src/flows/destinations/", "^src/publishers/"],
        // The one place the engine reads the project, for the plan (see prepareRun).
        pathNot: "^src/stages/run-context\\.ts$",
      },
      to: {
        path: "^src/plan/(targets|target-selection|release-metadata|manifest|packages|project-files|pyproject|python-project|pyo3-windows|patch|version|toml)\\.ts$",
      },
    },
    {
      name: "publishers-do-not-orchestrate",
      severity: "error",
      comment: "Publishers talk to the outside world; flows decide when.",
      from: { path: "^src/publishers/" },
      to: { path: "^src/flows/" },
    },
    {
      name: "stages-do-not-publish",
      severity: "error",
      comment: "Stages build lazy values; only publishers have side effects.",
      from: { path: "^src/(stages|commands)/" },
      to: { path: "^src/(flows|publishers)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    exclude: { path: "^(sdk|node_modules)/" },
  },
};
