/**
 * `bevbuild provenance <target…>`: prints the provenance bundle of the targets' closure — one DSSE
 * envelope (in-toto Statement, SLSA Provenance v1) per line — from the local store. Nothing is built.
 */
import type {Options} from '../cli-options.ts';
import {bundleText, closureProvenance} from '../provenance/bundle.ts';
import {EXIT, makeReporter, openAndSelect} from './common.ts';

export async function provenanceCommand(opts: Options): Promise<number> {
  const opened = await openAndSelect(opts, makeReporter(opts, 0), false);
  if (typeof opened === 'number') return opened;
  const {ws, targets} = opened;
  const entries = await closureProvenance(ws, targets);
  if (!entries.ok) {
    process.stderr.write(`bevbuild: ${entries.error.message}\n${(entries.error.details ?? []).map((d) => `  ${d}\n`).join('')}`);
    return EXIT.failed;
  }
  process.stdout.write(bundleText(entries.value));
  const unsigned = entries.value.filter((e) => !e.provenance.signed).length;
  if (unsigned) process.stderr.write(`bevbuild: warning: ${unsigned} of ${entries.value.length} envelopes are unsigned (no writer key when they were built: set BEVBUILD_SIGNING_KEY_FILE and rebuild)\n`);
  return EXIT.ok;
}
