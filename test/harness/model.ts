/** The readable record of what a function asked the engine for. Secrets appear by name only. */

export type Mount =
  | { type: "cache"; key: string; sharing: string }
  | { type: "directory"; source: string; readOnly: boolean }
  | { type: "file"; source: string }
  | { type: "secret"; secret: string }
  | { type: "tmpfs" };

/** One command a container ran, with the container's state at that moment. */
export interface ExecRecord {
  platform: string;
  image: string | null;
  argv: string[];
  workdir: string;
  user: string | null;
  env: Record<string, string>;
  /** Variable name -> secret NAME. The value never enters the model. */
  secretEnv: Record<string, string>;
  mounts: Record<string, Mount>;
  /** Directories and files copied into the container: path -> description of the source. */
  contents: Record<string, string>;
  expect: string;
  exitCode: number;
}

/** A container as the function left it (returned, exported or published). */
export interface ContainerSummary {
  platform: string;
  image: string | null;
  rootfs: string | null;
  workdir: string;
  user: string | null;
  env: Record<string, string>;
  secretEnv: Record<string, string>;
  mounts: Record<string, Mount>;
  contents: Record<string, string>;
  entrypoint: string[] | null;
  defaultArgs: string[] | null;
  labels: Record<string, string>;
  /** Registry credentials: address, username and the secret's NAME. */
  registryAuth: { address: string; username: string; secret: string }[];
  execs: string[][];
  /** Operations the harness does not interpret, kept so nothing is silently lost. */
  other: { op: string; args: Record<string, unknown> }[];
}

export interface ExportRecord {
  kind: string;
  path: string;
  source: string;
}

export interface PublishRecord {
  address: string;
  platforms: string[];
  variants: ContainerSummary[];
  /** The publishing container's registry credentials (secret by NAME). */
  registryAuth: ContainerSummary["registryAuth"];
  digest: string;
}

export interface RecordedModel {
  execs: ExecRecord[];
  exports: ExportRecord[];
  publishes: PublishRecord[];
  /** Secret names the function used or created. */
  secrets: string[];
  cacheVolumes: string[];
  /** Containers whose commands ran, by platform and image, in order of first use. */
  containers: { platform: string; image: string | null }[];
}

export function emptyModel(): RecordedModel {
  return { execs: [], exports: [], publishes: [], secrets: [], cacheVolumes: [], containers: [] };
}
