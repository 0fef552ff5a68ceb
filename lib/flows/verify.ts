import type { File, Secret } from "@dagger.io/dagger";
import { parseRepository } from "../plan/image-tags.js";
import { PYPI, packageIndexAt } from "../publishers/pypi/index.js";
import { verifyTarget } from "./verification-target.js";
import { checkRelease, renderChecks } from "./verify-checks.js";

export interface VerifyOptions {
  tag: string;
  repository: string;
  githubToken?: Secret | null;
  githubApiUrl?: string;
  registryUsername?: string | null;
  registryPassword?: Secret | null;
  pypiUrl?: string | null;
  testPypiUrl?: string | null;
  sigstoreTrustConfig?: File | null;
}

/**
 * Checks a published release end to end and prints one table of what held and what did not;
 * fails (with the table) when anything did not hold.
 */
export async function verifyRelease(options: VerifyOptions): Promise<string> {
  const repository = parseRepository(options.repository);
  const token = options.githubToken;
  const indexes = [
    options.pypiUrl ? packageIndexAt(options.pypiUrl, "PyPI") : PYPI,
    ...(options.testPypiUrl ? [packageIndexAt(options.testPypiUrl, "TestPyPI")] : []),
  ];
  const checks = await checkRelease(
    await verifyTarget({
      github: {
        apiUrl: options.githubApiUrl ?? "https://api.github.com",
        token: () => token?.plaintext() ?? Promise.resolve(""),
        anonymous: !token,
        owner: repository.owner,
        repo: repository.name,
        tag: options.tag,
      },
      repository: `${repository.owner}/${repository.name}`,
      trustConfig: options.sigstoreTrustConfig,
      registryLogin: options.registryPassword
        ? {
            username: options.registryUsername ?? repository.owner,
            password: options.registryPassword,
          }
        : null,
      indexes,
      image: true,
    }),
  );
  const table = renderChecks(
    `Verify ${options.tag} of ${repository.owner}/${repository.name}`,
    checks,
  );
  if (checks.some((c) => !c.held)) throw new Error(table);
  return table;
}
