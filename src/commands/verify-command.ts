/**
 * `bevbuild verify <bundle> <dir>`: checks a deploy directory against a provenance bundle offline,
 * with the trusted keys of `--trusted-key` and `BEVBUILD_TRUSTED_KEYS`. Exit 0 verified, 1 a
 * difference (each named), 2 usage (no trusted key, unreadable bundle).
 */
import {readFileSync} from 'node:fs';
import {resolve} from 'node:path';
import type {Options} from '../cli-options.ts';
import {loadTrustedKeys} from '../provenance/keys.ts';
import {verifyBundle} from '../provenance/verify.ts';
import {EXIT} from './common.ts';

export async function verifyCommand(opts: Options): Promise<number> {
  const [bundle, dir] = opts.targets as [string, string];
  const keys = loadTrustedKeys(opts.root, {trustedKeys: opts.trustedKeys});
  if (!keys.ok) {
    process.stderr.write(`bevbuild: ${keys.error.message}\n`);
    return EXIT.usage;
  }
  if (!keys.value.length) {
    process.stderr.write('bevbuild: verify needs the public key(s) to trust: --trusted-key <file.pem> or BEVBUILD_TRUSTED_KEYS\n');
    return EXIT.usage;
  }
  let text: string;
  try {
    text = readFileSync(resolve(bundle), 'utf8');
  } catch (e) {
    process.stderr.write(`bevbuild: cannot read the bundle ${bundle}: ${(e as NodeJS.ErrnoException).code ?? 'error'}\n`);
    return EXIT.usage;
  }
  const r = await verifyBundle(text, resolve(dir), keys.value);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({type: 'verify', ok: r.problems.length === 0, problems: r.problems, envelopes: r.envelopes, signers: r.signers, matched: r.matched})}\n`);
  } else if (r.problems.length) {
    process.stdout.write(`${r.problems.map((p) => `✘ ${p}`).join('\n')}\n\n${r.problems.length} problem(s): ${dir} does not verify against ${bundle}\n`);
  } else {
    process.stdout.write(`✔ ${dir}: ${r.matched?.files ?? 0} file(s) match ${r.matched?.subject} of ${r.matched?.target}; ${r.envelopes} envelope(s) signed by ${r.signers.map((s) => s.slice(0, 12)).join(', ')}, chain consistent\n`);
  }
  return r.problems.length ? EXIT.failed : EXIT.ok;
}
