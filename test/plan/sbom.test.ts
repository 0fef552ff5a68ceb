import { describe, expect, test } from "vitest";
import { imageSbom } from "../../src/plan/sbom.js";
import { RUNTIME_BASES } from "../../src/stages/images.js";
import { planFor } from "../support/plan.js";
import { EXAMPLE_DIR, readProject } from "../support/projects.js";

describe("the image's SBOM", async () => {
  const files = await readProject(EXAMPLE_DIR);

  test("names every base its platforms use: static for the musl binaries, cc for glibc ones", async () => {
    const plan = await planFor({
      files,
      tag: "v0.1.5",
      repository: "octo/sample-usage",
      targets: ["x86_64-unknown-linux-musl", "s390x-unknown-linux-gnu"],
    });
    const bases = [...new Set(plan.image?.variants.map((v) => RUNTIME_BASES[v.base]))];
    expect(bases).toEqual([RUNTIME_BASES.static, RUNTIME_BASES.cc]);
    const sbom = imageSbom(plan, bases, [], 0) as { components: Record<string, string>[] };
    // Sorted by bom-ref, as every component is.
    expect(sbom.components.filter((c) => c.type === "container")).toEqual(
      [RUNTIME_BASES.cc, RUNTIME_BASES.static].map((base) => {
        const [name, digest] = base.split("@");
        return { type: "container", "bom-ref": `pkg:oci/${name}`, name, version: digest };
      }),
    );
  });
});
