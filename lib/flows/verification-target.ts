import type { File, Secret } from "@dagger.io/dagger";
import type { GithubTarget } from "../publishers/github/index.js";
import type { PackageIndex } from "../publishers/pypi/index.js";
import type { ImageAccess } from "../publishers/registry/index.js";
import { instanceFromTrustConfig, PUBLIC_GOOD } from "../publishers/sigstore/index.js";
import type { VerifyTarget } from "./verify-checks.js";

/** The trusted root signatures are checked against: --sigstore-trust-config's, or public-good's. */
export async function trustedRootFor(trustConfig: File | null | undefined) {
  const instance = trustConfig
    ? instanceFromTrustConfig(await trustConfig.contents())
    : PUBLIC_GOOD;
  return { trustedRoot: await instance.trustedRoot(), transparencyLog: instance.rekorUrl !== null };
}

/** What the checks need to reach: GitHub, the registry (with its login), the indexes. */
export async function verifyTarget(options: {
  github: GithubTarget;
  repository: string;
  trustConfig: File | null | undefined;
  registryLogin: { username: string; password: Secret } | null;
  indexes: PackageIndex[];
  image: boolean;
}): Promise<VerifyTarget> {
  const login = options.registryLogin;
  const registry = async (repository: string): Promise<ImageAccess> => ({
    repository,
    credentials: login
      ? { username: login.username, password: await login.password.plaintext() }
      : null,
  });
  return {
    github: options.github,
    repository: options.repository,
    ...(await trustedRootFor(options.trustConfig)),
    registry,
    indexes: options.indexes,
    image: options.image,
  };
}
