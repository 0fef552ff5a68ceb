import { type Container, dag } from "@dagger.io/dagger";
import { SCRIPTS_DIR, SCRIPTS_SOURCE } from "../commands/python.js";

/**
 * Puts the module's container scripts at SCRIPTS_DIR. They reach the engine as part of the
 * module's own files (dagger.json's directory is the module's source, all of it loaded), the
 * same way under `dagger call` and in the tests' stand-in.
 */
export function withScripts(container: Container): Container {
  return container.withDirectory(
    SCRIPTS_DIR,
    dag.currentModule().source().directory(SCRIPTS_SOURCE),
  );
}
