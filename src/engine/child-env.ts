/**
 * A tool's environment (DESIGN.md decision 15) is built from parts, not inherited wholesale:
 *  - an allowlist of harmless variables of the invoking shell (locale, home, certificates…);
 *  - path lists (`PATH`, `LD_LIBRARY_PATH`, `PYTHONPATH`): the rule's entries first, then the
 *    toolchain's, then the invoking shell's — extended, never replaced, so oneAPI's `setvars.sh` and
 *    the user's own paths still reach the tool behind the toolchain's;
 *  - the variables a rule says its tool reads (`passEnv`) and the workspace's `envPassthrough`,
 *    copied from the invoking shell when set;
 *  - the toolchain's variables, the rule's declared (keyed) variables and the GPU assignment.
 * Only declared variables enter the action key; inherited ones are machine facts (paths, device
 * choices, timings) that must not split a shared cache. What a toolchain's path entries resolve to is
 * keyed through the toolchain node's own inputs.
 */
const ALWAYS = ['HOME', 'USER', 'LOGNAME', 'LANG', 'LANGUAGE', 'TERM', 'TZ', 'SHELL', 'OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE', 'SSL_CERT_FILE', 'PIP_INDEX_URL', 'PIP_FIND_LINKS', 'PIP_CERT'];

/** Colon-separated search paths: contributions are prepended to the inherited value, never replace it. */
export const PATH_LISTS = ['PATH', 'LD_LIBRARY_PATH', 'PYTHONPATH'] as const;

/** `a:b` + `b:c` → `a:b:c`: later duplicates and empty entries dropped (first occurrence wins, as for the loader). */
export function joinPathList(...parts: (string | undefined)[]): string {
  const seen = new Set<string>();
  for (const part of parts) for (const e of (part ?? '').split(':')) if (e) seen.add(e);
  return [...seen].join(':');
}

export function childEnv(opts: {
  declared: Record<string, string>;
  toolchain: Record<string, string>;
  passthrough: string[];
  gpus: string[];
  tmp: string;
  /** The invoking shell's environment (default `process.env`). */
  inherited?: NodeJS.ProcessEnv;
}): Record<string, string> {
  const parent = opts.inherited ?? process.env;
  const env: Record<string, string> = {};
  for (const k of [...ALWAYS, ...opts.passthrough]) {
    const v = parent[k];
    if (v !== undefined) env[k] = v;
  }
  for (const k of Object.keys(parent)) if (k.startsWith('LC_')) env[k] = parent[k]!;
  env['TMPDIR'] = opts.tmp;
  env['PYTHONUNBUFFERED'] = '1';
  env['PYTHONDONTWRITEBYTECODE'] = '1';
  const {PATH_PREFIX, ...toolchain} = opts.toolchain;
  Object.assign(env, toolchain);
  env['CUDA_VISIBLE_DEVICES'] = opts.gpus.join(',');
  Object.assign(env, opts.declared);
  // Toolchains give their bin dir as PATH_PREFIX (or PATH itself): both are prefixes.
  const fromToolchain: Record<string, string | undefined> = {...toolchain, PATH: joinPathList(PATH_PREFIX, toolchain['PATH'])};
  for (const k of PATH_LISTS) {
    const joined = joinPathList(opts.declared[k], fromToolchain[k], parent[k]);
    if (joined) env[k] = joined;
    else delete env[k];
  }
  return env;
}
