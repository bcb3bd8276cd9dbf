/**
 * Checks up front that a toolchain can import what its tools will import, so a missing package
 * fails the build at once with the fix instead of after hours of training (issue: quantize_unified
 * `--config` imports torchpack, mmcv and `mmdet3d.utils` inside spconvEnv, pitfall 4). The output
 * lists only the module names — not versions — so re-probing after an unrelated `pip install`
 * changes nothing downstream (early cutoff): make the first long node of a pipeline depend on it.
 */
import {defineRule, fail, ok, z} from '../../src/index.ts';

/** Tries every module; prints `MISSING <module>: <error>` for each failure; writes the JSON only if all import. */
const PROBE = [
  'import importlib, json, sys',
  'out, mods = sys.argv[1], sys.argv[2:]',
  'bad = []',
  'for m in mods:',
  '    try:',
  '        importlib.import_module(m)',
  '    except BaseException as e:',
  '        bad.append(m)',
  '        print(f"MISSING {m}: {type(e).__name__}: {e}", flush=True)',
  'if bad:',
  '    sys.exit(1)',
  'json.dump({"importable": mods}, open(out, "w"))',
].join('\n');

export const importProbe = defineRule({
  name: 'intel/import-probe',
  version: 1,
  description: 'import every module a toolchain\'s tools need; fail at once naming the missing ones and the fix',
  params: z
    .object({
      /** The toolchain (env node) to probe, e.g. `env/spconv`. */
      env: z.string().min(1),
      modules: z.array(z.string().regex(/^[A-Za-z_][\w.]*$/)).min(1),
      /** Dirs the tools get on PYTHONPATH (e.g. the repo's training dir for mmdet3d). */
      pythonPath: z.array(z.string()).default([]),
      output: z.string().regex(/\.json$/),
      /** What to do about a missing module, shown with the failure. */
      fix: z.string().default('install the missing packages into this environment'),
    })
    .strict(),
  toolchain: (p) => p.env,
  // No inputs but the toolchain: a pip install re-probes; a dir on PYTHONPATH is not keyed (a repo's
  // training dir holds generated configs of other nodes, which must not become dependencies).
  outputs: (p) => [p.output],
  env: (p, ctx): Record<string, string> => (p.pythonPath.length ? {PYTHONPATH: p.pythonPath.map((d) => ctx.in(d)).join(':')} : {}),
  argv: (p, ctx) => [ctx.python(), '-c', PROBE, ctx.out(p.output), ...p.modules],
  timeoutMs: () => 120_000,
  exitCode: 'check',
  check: async (p, ctx) => {
    if (ctx.exitCode === 0) return ok(undefined);
    const missing = (await ctx.log()).split('\n').filter((l) => l.startsWith('MISSING '));
    const names = missing.map((l) => l.slice('MISSING '.length).split(':')[0]);
    return fail('missing-imports', `${p.env} cannot import ${names.length ? names.join(', ') : 'what its tools need'}: ${p.fix}`, {details: missing});
  },
});
