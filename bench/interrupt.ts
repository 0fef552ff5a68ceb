type Cleanup = () => void | Promise<void>;

const cleanups = new Set<Cleanup>();

// Work in progress never settles once its processes are gone, so the bench cleans up what is
// registered and exits instead of unwinding.
async function interrupted(signal: NodeJS.Signals): Promise<void> {
  console.error(`\nbench: ${signal}: stopping child processes, removing temporary directories`);
  await Promise.allSettled([...cleanups].map(async (cleanup) => cleanup()));
  process.exit(130);
}

process.once("SIGINT", interrupted);
process.once("SIGTERM", interrupted);

/** Runs `cleanup` if the bench is interrupted; the returned function unregisters it. */
export function onInterrupt(cleanup: Cleanup): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}
