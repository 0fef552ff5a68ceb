/**
 * Prints the release plan for a project directory without any Dagger engine:
 *   npm run plan -- --source <dir> --tag <tag> [--sha <commit>] [--repository <owner/name>]
 *     [--image-name <name>] [--registry <host>] [--latest-on-release] [--cargo-package <name>]
 *     [--targets <triple>,<triple>...]
 *     [--python-project <dir>] [--write-source <dir>]
 * It builds the same JSON as `dagger call plan`; bad input exits non-zero and prints no plan.
 * --write-source also writes the patched tree the release builds (as `dagger call source`).
 */
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { readRelease } from "../lib/plan/release-plan.js";
import { localSourceReader } from "./local-source.js";
import { writeSource } from "./write-source.js";

const USAGE =
  "usage: npm run plan -- --tag <vX.Y.Z> [--source <dir>] [--sha <commit>] " +
  "[--repository <owner/name>] [--image-name <name>] [--registry <host>] [--latest-on-release] " +
  "[--cargo-package <name>] [--targets <triple>,<triple>...]";
("[--cargo-package <name>] [--python-project <dir>] [--write-source <dir>]");

async function main(argv: string[]): Promise<string> {
  const { values } = parseArgs({
    args: argv,
    options: {
      source: { type: "string", default: "example" },
      tag: { type: "string" },
      sha: { type: "string" },
      repository: { type: "string" },
      "image-name": { type: "string" },
      registry: { type: "string" },
      "latest-on-release": { type: "boolean", default: false },
      "cargo-package": { type: "string" },
      // Comma-separated, as `dagger call --targets a,b` takes it; repeating the flag adds more.
      targets: { type: "string", multiple: true },
      "python-project": { type: "string" },
      "write-source": { type: "string" },
    },
    strict: true,
  });
  if (values.tag === undefined) throw new Error(`--tag is required\n${USAGE}`);
  const source = resolve(values.source);
  const isDirectory = await stat(source).then(
    (info) => info.isDirectory(),
    () => false,
  );
  if (!isDirectory) {
    throw new Error(`--source ${values.source} does not exist or is not a directory`);
  }
  const { plan, patchedFiles } = await readRelease(localSourceReader(source), {
    tag: values.tag,
    commit: values.sha,
    repository: values.repository,
    imageName: values["image-name"],
    registry: values.registry,
    latestOnRelease: values["latest-on-release"],
    cargoPackage: values["cargo-package"],
    targets: values.targets?.flatMap((list) => list.split(",")),
    pythonProject: values["python-project"],
  });
  if (values["write-source"] !== undefined) {
    await writeSource(source, values["write-source"], patchedFiles);
  }
  return JSON.stringify(plan, null, 2);
}

main(process.argv.slice(2)).then(
  (json) => process.stdout.write(`${json}\n`),
  (error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
