/**
 * Imports an ES module by specifier or URL: a compiled config, an ES-only package.
 *
 * The `bevbuild` executable runs the engine as a CommonJS bundle restored from V8's code cache
 * (bin/code-cache.js), and on Node 20 code restored that way cannot call `import()` itself. The bin
 * lends its own `import` under `Symbol.for('bevbuild.import')`; it resolves bare specifiers from
 * bevbuild's own directory, as the engine's would. Run from the sources (tsx, tests, the library),
 * there is no lent function and this is a plain dynamic import.
 */
export function importEsm<T>(specifier: string): Promise<T> {
  const lent = (globalThis as Record<symbol, ((s: string) => Promise<unknown>) | undefined>)[Symbol.for('bevbuild.import')];
  return (lent ? lent(specifier) : import(specifier)) as Promise<T>;
}
