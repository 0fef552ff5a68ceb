import { execFileSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type RunResult, run } from "../example/tools.js";

/**
 * Runs a command the way a container runs it: in a root file system that has only what a base
 * image has (the standard top-level directories, this machine's programs read-only) plus the
 * files and mounts the stage gave the container, at their container paths. Nothing else is
 * pre-created, so a step that writes into a directory no image has fails here as it fails on a
 * real engine. The binds live in a private mount namespace (`unshare --mount`), then `chroot`.
 */

/** What a slim Debian image has at its root; /bin, /lib, /lib64 and /sbin are links into /usr. */
const IMAGE_DIRECTORIES = ["boot", "dev", "etc", "home", "media", "mnt", "opt", "proc", "root"];
const MORE_IMAGE_DIRECTORIES = [
  "run",
  "srv",
  "sys",
  "tmp",
  "var",
  "usr/local/bin",
  "usr/local/lib",
];
const USR_LINKS = ["bin", "lib", "lib64", "sbin"];

/**
 * This machine's Python (with pip and venv) at its own path, first on PATH: the python image
 * has its interpreter in /usr/local, the zigbuild image its zig; here pip provides both.
 */
const PYTHON_PREFIX = execFileSync("python3", ["-c", "import sys; print(sys.prefix)"], {
  encoding: "utf8",
}).trim();

/**
 * How this machine reaches package registries (its CA bundle, proxies): a container on a
 * user's machine needs none of it, but here the registries sit behind them. /etc is mounted.
 */
const NETWORK_ENV = ["SSL_CERT_FILE", "SSL_CERT_DIR", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"];

/** A rust image's toolchain, /usr/local/cargo and /usr/local/rustup: this machine's rustup. */
const RUST_TOOLCHAIN = {
  "/usr/local/cargo": process.env.CARGO_HOME ?? join(homedir(), ".cargo"),
  "/usr/local/rustup": process.env.RUSTUP_HOME ?? join(homedir(), ".rustup"),
};

export interface Bind {
  /** The directory of this machine mounted there. */
  host: string;
  readOnly: boolean;
}

export interface FreshRootCommand {
  argv: readonly string[];
  workdir: string;
  env?: Record<string, string>;
  /** Files placed before the command runs: container path -> bytes. */
  files?: Record<string, Buffer | string>;
  /** Of those, the ones that are executable. */
  executable?: readonly string[];
  /** Mounts (cache volumes, mounted directories): container path -> this machine's directory. */
  mounts?: Record<string, Bind>;
  /** Whether the image is a rust image (cargo, rustup at /usr/local). */
  rust?: boolean;
}

export interface FreshRoot {
  /** This machine's path of a path inside the root. */
  path(containerPath: string): string;
  run(command: FreshRootCommand): Promise<RunResult>;
  remove(): void;
}

// Arguments: the root, the workdir, then lines of "host|container|ro" binds, "--", the argv.
const MOUNT_AND_RUN = `
root=$1; workdir=$2; shift 2
while [ "$1" != "--" ]; do
  host=\${1%%|*}; rest=\${1#*|}; target=\${rest%%|*}; mode=\${rest#*|}
  mkdir -p "$root$target"
  mount --bind "$host" "$root$target"
  if [ "$mode" = ro ]; then mount -o remount,bind,ro "$root$target"; fi
  shift
done
shift
mount -t proc proc "$root/proc"
exec chroot "$root" /bin/sh -c 'cd "$0" && exec "$@"' "$workdir" "$@"
`;

function baseBinds(rust: boolean): [string, Bind][] {
  const usr = readdirSync("/usr")
    .filter((entry) => entry !== "local")
    .map((entry): [string, Bind] => [`/usr/${entry}`, { host: `/usr/${entry}`, readOnly: true }]);
  const python: [string, Bind][] = PYTHON_PREFIX.startsWith("/usr/")
    ? []
    : [[PYTHON_PREFIX, { host: PYTHON_PREFIX, readOnly: true }]];
  const toolchain = rust
    ? Object.entries(RUST_TOOLCHAIN).map(([at, host]): [string, Bind] => [
        at,
        { host, readOnly: true },
      ])
    : [];
  return [
    ...usr,
    ["/etc", { host: "/etc", readOnly: true }],
    ["/dev", { host: "/dev", readOnly: false }],
    ...python,
    ...toolchain,
  ];
}

export function freshRoot(): FreshRoot {
  const root = mkdtempSync(join(tmpdir(), "fresh-root-"));
  for (const dir of [...IMAGE_DIRECTORIES, ...MORE_IMAGE_DIRECTORIES]) {
    mkdirSync(join(root, dir), { recursive: true });
  }
  for (const link of USR_LINKS) symlinkSync(`usr/${link}`, join(root, link));
  chmodSync(join(root, "tmp"), 0o1777);
  const path = (containerPath: string) => join(root, containerPath);
  const bound = new Set<string>(["/proc"]);
  return {
    path,
    async run(command) {
      for (const [file, bytes] of Object.entries(command.files ?? {})) {
        // As withFile/withDirectory do: the file's parent directories come with it.
        mkdirSync(dirname(path(file)), { recursive: true });
        writeFileSync(path(file), bytes, {
          mode: command.executable?.includes(file) ? 0o755 : 0o644,
        });
      }
      const binds = [...baseBinds(command.rust ?? false), ...Object.entries(command.mounts ?? {})];
      for (const [at] of binds) bound.add(at);
      const network = NETWORK_ENV.flatMap((name) => {
        const value = process.env[name] ?? process.env[name.toLowerCase()];
        return value === undefined ? [] : [[name, value]];
      });
      const env = {
        ...Object.fromEntries(network),
        ...command.env,
        PATH: `${PYTHON_PREFIX}/bin:${command.env?.PATH ?? "/usr/local/bin:/usr/bin:/bin"}`,
        HOME: "/root",
      };
      return run("unshare", [
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-ec",
        MOUNT_AND_RUN,
        "sh",
        root,
        command.workdir,
        ...binds.map(([at, bind]) => `${bind.host}|${at}|${bind.readOnly ? "ro" : "rw"}`),
        "--",
        "/usr/bin/env",
        "-i",
        ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
        ...command.argv,
      ]);
    },
    remove() {
      // The binds lived only in the command's mount namespace; if one were still visible here,
      // removing the root would reach into this machine's directories.
      for (const at of bound) {
        if (existsSync(path(at)) && readdirSync(path(at)).length > 0) {
          throw new Error(`fresh root: ${path(at)} is not empty; not removing ${root}`);
        }
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}
