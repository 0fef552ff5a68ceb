/**
 * Build output and tooling state that must never reach cargo: an unrelated change there would
 * invalidate every build. Applied to --source and again wherever the source is copied.
 */
export const SOURCE_IGNORE = [
  "**/target",
  "**/.git",
  "**/node_modules",
  "**/__pycache__",
  "**/.venv",
  "dist",
];
