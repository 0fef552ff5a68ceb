import type { Container, Directory, File, Secret } from "@dagger.io/dagger";

/**
 * The flows src/index.ts calls, loaded on first use from lib/flows/index.ts.
 *
 * The engine parses and imports every file under src/ on every call of the module, before it
 * knows which function it serves (the SDK's scan() builds a TypeScript program from them and
 * everything they import). The implementation lives in lib/, outside that scan, and a call
 * imports it when it runs: a specifier held in a variable is one TypeScript does not follow.
 * The types below are what index.ts passes; test/module/flows-conformance.ts proves at
 * `tsc` time that lib/flows/index.ts takes exactly these, so the two cannot drift apart.
 */

/** The module-level flags that choose what is released: all a plan needs. */
export interface PlanFlags {
  cargoPackage?: string;
  targets?: string[];
  pythonProject?: string;
}

/** Every module-level flag (RustRelease's constructor), which the building flows take. */
export interface ModuleFlags extends PlanFlags {
  sourceDateEpoch?: number;
  compileCache?: Secret;
  actionsResultsUrl?: Secret;
  actionsRuntimeToken?: Secret;
}

/** Which release a call builds or plans. */
export interface ReleaseNames {
  tag?: string;
  commit?: string;
  repository?: string;
  imageName?: string;
  registry?: string;
  latestOnRelease?: boolean;
}

/** Signing and PyPI's two indexes, as publish-python and release take them. */
export interface PythonPublishing {
  skipAttestations?: boolean;
  sigstoreTrustConfig?: File;
  oidcRequestUrl?: Secret;
  oidcRequestToken?: Secret;
  testPypiToken?: Secret;
  pypiToken?: Secret;
  skipTestPypi?: boolean;
  dryRun?: boolean;
  pypiUrl?: string;
  testPypiUrl?: string;
}

export type BuildRequest = ModuleFlags & { target?: string; tag?: string };
export type ImageRequest = ModuleFlags &
  Omit<ReleaseNames, "imageName" | "registry"> & {
    platform?: string;
  };
export type ImagePublishRequest = ModuleFlags &
  ReleaseNames & { registryPassword?: Secret; registryUsername?: string; dryRun?: boolean };
export type PythonPublishRequest = ModuleFlags & PythonPublishing & { tag: string };
export type ReleaseRequest = ModuleFlags &
  ReleaseNames &
  PythonPublishing & {
    tag: string;
    githubToken?: Secret;
    githubApiUrl?: string;
    registryPassword?: Secret;
    registryUsername?: string;
    skipGithub?: boolean;
    skipImage?: boolean;
    skipPypi?: boolean;
    replaceChangedAssets?: boolean;
    rebuild?: boolean;
    reportFormat?: string;
  };
export interface VerifyRequest {
  tag: string;
  repository: string;
  githubToken?: Secret;
  githubApiUrl?: string;
  registryUsername?: string;
  registryPassword?: Secret;
  pypiUrl?: string;
  testPypiUrl?: string;
  sigstoreTrustConfig?: File;
}

/** One function per release step; each names the file that holds it. */
export interface Flows {
  /** lib/flows/plan.ts */
  planJson: (
    source: Directory,
    request: PlanFlags & ReleaseNames & { tag: string },
  ) => Promise<string>;
  /** lib/flows/source.ts */
  patchedSource: (source: Directory, request: PlanFlags & { tag: string }) => Promise<Directory>;
  /** lib/flows/build.ts */
  buildBinaries: (source: Directory, options: BuildRequest) => Promise<Directory>;
  /** lib/flows/build.ts */
  buildArchive: (source: Directory, options: BuildRequest) => Promise<Directory>;
  /** lib/flows/build.ts */
  buildReleaseArchives: (
    source: Directory,
    options: ModuleFlags & { tag?: string },
  ) => Promise<Directory>;
  /** lib/flows/build.ts */
  buildPython: (
    source: Directory,
    options: BuildRequest,
    build: { wheels: boolean; sdist: boolean },
  ) => Promise<Directory>;
  /** lib/flows/image.ts */
  singleImage: (source: Directory, options: ImageRequest) => Promise<Container>;
  /** lib/flows/image.ts */
  publishImages: (source: Directory, options: ImagePublishRequest) => Promise<string[]>;
  /** lib/flows/python.ts */
  publishPython: (source: Directory, options: PythonPublishRequest) => Promise<string>;
  /** lib/flows/release.ts */
  release: (source: Directory, options: ReleaseRequest) => Promise<string>;
  /** lib/flows/verify.ts */
  verifyRelease: (options: VerifyRequest) => Promise<string>;
}

// Relative to this file, as import() resolves it; in a variable so that the scan stops here.
const FLOWS = "../lib/flows/index.js";

/** The flows, imported on the first call that needs them (then from Node's module cache). */
export async function flows(): Promise<Flows> {
  return (await import(FLOWS)) as Flows;
}
