// A Node module hook for the harness runtime: the SDK re-scans the module's TypeScript on every
// function call (about a second, several on a busy machine). The files cannot change during a
// test run, so the runtime scans them once. The result is the SDK's own; only the repeat is
// skipped. It applies to the npm package's introspector; a bundled sdk/ is scanned every time.
export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  if (!/\/@dagger\.io\/dagger\/dist\/src\/module\/introspector\/index\.js$/.test(url)) {
    return result;
  }
  const original = String(result.source);
  if (!original.includes("export async function scan(")) return result;
  const source = `${original.replace(
    "export async function scan(",
    "async function scanEveryTime(",
  )}
const scans = new Map();
export function scan(files, moduleName = "", loadModule = true) {
  // A real scan blocks the event loop for seconds on a busy machine; a test can make this one
  // block as long, to see whether the engine keeps the connection meanwhile.
  const pauseUntil = Date.now() + (globalThis.__harnessScanPauseMs ?? 0);
  while (Date.now() < pauseUntil) {}
  const key = JSON.stringify([files, moduleName, loadModule]);
  if (!scans.has(key)) scans.set(key, scanEveryTime(files, moduleName, loadModule));
  return scans.get(key);
}
`;
  return { ...result, source, shortCircuit: true };
}
