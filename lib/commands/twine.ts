/** Pinned, so a check that passes today passes on a re-run of the same release. */
export const TWINE_REQUIREMENT = "twine==7.0.0";

/**
 * Validates the distributions' metadata as PyPI will: a long description (README) that would
 * not render fails it. Not `--strict`: twine's only warnings are a missing long description or
 * content type, which PyPI accepts and real CLIs ship (sqruff's wheel has no README). uv
 * installs twine into a throwaway environment: no project and no pip needed.
 */
export function twineCheckCommand(paths: readonly string[]): string[] {
  if (paths.length === 0) throw new Error("twine check: no distributions to check");
  return ["uv", "tool", "run", "--from", TWINE_REQUIREMENT, "twine", "check", ...paths];
}
