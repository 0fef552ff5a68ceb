import { beforeAll, describe, expect, test } from "vitest";
import type { ProjectFiles } from "../../lib/plan/project-files.js";
import type { ReleasePlan } from "../../lib/plan/release-plan.js";
import { imageSbom, parseTargetBom, type TargetBom } from "../../lib/plan/sbom.js";
import { RUNTIME_BASES } from "../../lib/stages/images.js";
import { planFor } from "../support/plan.js";
import { EXAMPLE_DIR, readProject } from "../support/projects.js";

const BASE = "gcr.io/distroless/cc-debian12:nonroot@sha256:9dac";

/** A target SBOM as container-scripts/sbom.py writes it: one binary, the given crates. */
function targetBom(target: string, crates: [string, "required" | "excluded"][]): TargetBom {
  const root = "pkg:cargo/sample-usage@0.1.5?download_url=file://.";
  const refs = crates.map(([name]) => `pkg:cargo/${name}@1.0.0`);
  return {
    metadata: {
      component: {
        type: "application",
        "bom-ref": root,
        name: "sample-usage",
        version: "0.1.5",
        purl: root,
        components: [
          {
            type: "application",
            "bom-ref": `${root}#sample-usage`,
            name: "sample-usage",
            version: "0.1.5",
            hashes: [{ alg: "SHA-256", content: `${target}-digest` }],
          },
        ],
      },
    },
    components: crates.map(([name, scope], i) => ({
      type: "library",
      "bom-ref": refs[i] as string,
      name,
      version: "1.0.0",
      scope,
      purl: refs[i] as string,
    })),
    dependencies: [{ ref: root, dependsOn: refs }, ...refs.map((ref) => ({ ref, dependsOn: [] }))],
  };
}

let plan: ReleasePlan;
beforeAll(async () => {
  const files: ProjectFiles = await readProject(EXAMPLE_DIR);
  plan = await planFor({ files, tag: "v0.1.5" });
});

describe("the image's SBOM, from the staged target SBOMs", () => {
  test("each platform's binaries with their digests, every crate once, runtime use winning", () => {
    const sbom = imageSbom(
      plan,
      [BASE],
      [
        {
          platform: "linux/amd64",
          target: "x86_64-unknown-linux-gnu",
          bom: targetBom("amd64", [
            ["libc", "required"],
            ["cc", "excluded"],
          ]),
        },
        {
          platform: "linux/arm64",
          target: "aarch64-unknown-linux-gnu",
          bom: targetBom("arm64", [
            ["libc", "required"],
            ["cc", "required"],
          ]),
        },
      ],
      315532800,
    ) as {
      components: { type: string; "bom-ref": string; scope?: string; hashes?: unknown }[];
      dependencies: { ref: string; dependsOn: string[] }[];
      metadata: { timestamp: string; component: { "bom-ref": string } };
    };
    expect(sbom.metadata.timestamp).toBe("1980-01-01T00:00:00Z");
    expect(sbom.components.map((c) => [c.type, c["bom-ref"], c.scope])).toEqual([
      ["application", "linux/amd64/sample-usage", undefined],
      ["application", "linux/arm64/sample-usage", undefined],
      ["library", "pkg:cargo/cc@1.0.0", "required"],
      ["library", "pkg:cargo/libc@1.0.0", "required"],
      ["container", "pkg:oci/gcr.io/distroless/cc-debian12:nonroot", undefined],
    ]);
    expect(sbom.components[0]?.hashes).toEqual([{ alg: "SHA-256", content: "amd64-digest" }]);
    const image = sbom.dependencies.find((d) => d.ref === sbom.metadata.component["bom-ref"]);
    expect(image?.dependsOn).toEqual([
      "linux/amd64/sample-usage",
      "linux/arm64/sample-usage",
      "pkg:oci/gcr.io/distroless/cc-debian12:nonroot",
    ]);
    expect(sbom.dependencies.find((d) => d.ref === "linux/arm64/sample-usage")?.dependsOn).toEqual([
      "pkg:cargo/cc@1.0.0",
      "pkg:cargo/libc@1.0.0",
    ]);
  });

  test("a platform whose release has no SBOM (staged before SBOMs) lists its binaries by name", () => {
    const sbom = imageSbom(
      plan,
      [BASE],
      [{ platform: "linux/amd64", target: "x86_64-unknown-linux-gnu", bom: null }],
      0,
    ) as { components: { type: string; name: string }[] };
    expect(sbom.components.map((c) => [c.type, c.name])).toEqual([
      ["application", "sample-usage"],
      ["container", "gcr.io/distroless/cc-debian12:nonroot"],
    ]);
  });

  test("a staged SBOM that is not a CycloneDX document is refused, naming it", () => {
    expect(() => parseTargetBom("a.tar.gz.cdx.json", "bytes of a")).toThrow(
      /^a\.tar\.gz\.cdx\.json is not JSON: /,
    );
    expect(() => parseTargetBom("a.tar.gz.cdx.json", '{"spdxVersion": "SPDX-2.3"}')).toThrow(
      'a.tar.gz.cdx.json is not a CycloneDX document (no "bomFormat": "CycloneDX")',
    );
  });
});

describe("the image's SBOM bases", () => {
  test("names every base its platforms use: static for the musl binaries, cc for glibc ones", async () => {
    const files = await readProject(EXAMPLE_DIR);
    const musl = await planFor({
      files,
      tag: "v0.1.5",
      repository: "octo/sample-usage",
      targets: ["x86_64-unknown-linux-musl", "s390x-unknown-linux-gnu"],
    });
    const bases = [...new Set(musl.image?.variants.map((v) => RUNTIME_BASES[v.base]))];
    expect(bases).toEqual([RUNTIME_BASES.static, RUNTIME_BASES.cc]);
    const sbom = imageSbom(musl, bases, [], 0) as { components: Record<string, string>[] };
    // Sorted by bom-ref, as every component is.
    expect(sbom.components.filter((c) => c.type === "container")).toEqual(
      [RUNTIME_BASES.cc, RUNTIME_BASES.static].map((base) => {
        const [name, digest] = base.split("@");
        return { type: "container", "bom-ref": `pkg:oci/${name}`, name, version: digest };
      }),
    );
  });
});
