/**
 * A tool's environment is built, not inherited: an allowlist of harmless variables from our own
 * environment, the toolchain's variables, the rule's declared (keyed) variables and the GPU
 * assignment. Anything else a tool needs must be declared, so it is part of the action key.
 */
const ALWAYS = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LANGUAGE', 'TERM', 'TZ', 'SHELL', 'OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE', 'SSL_CERT_FILE', 'PIP_INDEX_URL', 'PIP_FIND_LINKS', 'PIP_CERT'];

export function childEnv(opts: {
  declared: Record<string, string>;
  toolchain: Record<string, string>;
  passthrough: string[];
  gpus: string[];
  tmp: string;
}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of [...ALWAYS, ...opts.passthrough]) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  for (const k of Object.keys(process.env)) if (k.startsWith('LC_')) env[k] = process.env[k]!;
  env['TMPDIR'] = opts.tmp;
  env['PYTHONUNBUFFERED'] = '1';
  env['PYTHONDONTWRITEBYTECODE'] = '1';
  Object.assign(env, opts.toolchain);
  if (opts.toolchain['PATH_PREFIX']) {
    env['PATH'] = `${opts.toolchain['PATH_PREFIX']}:${env['PATH'] ?? ''}`;
    delete env['PATH_PREFIX'];
  }
  env['CUDA_VISIBLE_DEVICES'] = opts.gpus.join(',');
  Object.assign(env, opts.declared);
  return env;
}
