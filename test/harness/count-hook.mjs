// A Node module hook for the harness runtime: counts calls of the module's own functions that
// a test needs to see happen once per call (how often a tag is parsed). The function is wrapped
// where it is defined, after tsx compiled it; nothing else in the file changes.
const COUNTED = [{ file: /\/lib\/plan\/version\.ts$/, name: "parseTag" }];

export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  const counted = COUNTED.filter(({ file }) => file.test(new URL(url).pathname));
  if (counted.length === 0) return result;
  let source = String(result.source);
  for (const { name } of counted) {
    // tsx may keep `export function f(` or write `function f(` with an export list at the end.
    const definition = new RegExp(`(export )?function ${name}\\(`);
    const found = definition.exec(source);
    if (!found) throw new Error(`count-hook: ${url} no longer defines ${name}; update the hook`);
    source = source.replace(definition, `function ${name}Counted(`);
    // The wrapper takes the name, so calls inside the module are counted too.
    source += `
${found[1] ?? ""}function ${name}(...args) {
  const counts = (globalThis.__harnessCounts ??= {});
  counts.${name} = (counts.${name} ?? 0) + 1;
  return ${name}Counted(...args);
}
`;
  }
  return { ...result, source, shortCircuit: true };
}
