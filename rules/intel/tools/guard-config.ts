/**
 * Runs a tool only if its config resolves a key to the expected value; otherwise exits 3 with one
 * line naming the key, its value, the file that set it and the fix (pitfall 1: a Pipeline-B leaf
 * whose content trains bevpoolv1 would train, export and publish "successfully").
 * Usage: guard-config.ts (--config LEAF | --resolved FILE) --key a.b.c --expect V [--unset V]
 *        [--fix TEXT] -- TOOL ARGS…
 * `--config` resolves the torchpack chain of LEAF relative to the cwd (as the tool will);
 * `--resolved` reads an already merged config (train.py's `configs.yaml` next to a checkpoint).
 */
import {spawn} from 'node:child_process';
import {parseArgs} from 'node:util';
import {resolveKey, torchpackChain} from '../torchpack-config.ts';

const sep = process.argv.indexOf('--');
const {values: a} = parseArgs({
  args: process.argv.slice(2, sep < 0 ? undefined : sep),
  options: {config: {type: 'string'}, resolved: {type: 'string'}, key: {type: 'string'}, expect: {type: 'string'}, unset: {type: 'string'}, fix: {type: 'string'}},
});
const tool = sep < 0 ? [] : process.argv.slice(sep + 1);
if ((!a.config && !a.resolved) || !a.key || !a.expect || tool.length === 0) {
  console.error('usage: guard-config.ts (--config LEAF | --resolved FILE) --key a.b.c --expect V [--unset V] [--fix TEXT] -- TOOL ARGS…');
  process.exit(2);
}
const cwd = process.cwd();
const files = a.config ? torchpackChain(a.config, cwd) : [a.resolved!];
const {value, file} = resolveKey(files, a.key, cwd);
const shown = value === undefined ? `unset (${a.unset ?? 'no default'})` : JSON.stringify(value);
if ((value === undefined ? a.unset : String(value)) !== a.expect) {
  const what = a.config ? `the config chain of ${a.config}` : `the checkpoint's config ${a.resolved}`;
  const where = file ? `set by ${file}` : `no file of [${files.join(', ')}] sets it`;
  console.error(`bevbuild guard: ${what} resolves ${a.key} = ${shown} (${where}); expected ${a.expect}.${a.fix ? ` Fix: ${a.fix}` : ''}`);
  process.exit(3);
}
console.log(`bevbuild guard: ${a.key} = ${a.expect} (${file ?? 'default'})`);
const child = spawn(tool[0]!, tool.slice(1), {stdio: 'inherit'});
for (const s of ['SIGINT', 'SIGTERM'] as const) process.on(s, () => child.kill(s));
child.on('error', (e) => {
  console.error(`bevbuild guard: cannot run ${tool[0]}: ${e.message}`);
  process.exit(127);
});
child.on('exit', (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
