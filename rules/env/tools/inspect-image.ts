/**
 * Probe of env/container-image: runs `<engine> image inspect <ref>`, checks the local image matches
 * the pinned digest and writes its fingerprint. Exit 2 with a one-line explanation when the engine
 * is missing, the image is not pulled, or it does not match.
 * Usage: inspect-image.ts --engine docker --image REF --out FILE
 */
import {spawnSync} from 'node:child_process';
import {writeFileSync} from 'node:fs';
import {parseArgs} from 'node:util';
import {matchesPin, parseImageInspect} from '../image-inspect.ts';

const {values: a} = parseArgs({options: {engine: {type: 'string', default: 'docker'}, image: {type: 'string'}, out: {type: 'string'}}});
const die = (msg: string): never => {
  console.error(`error: ${msg}`);
  process.exit(2);
};
if (!a.image || !a.out) die('usage: inspect-image.ts --engine docker --image REF --out FILE');
const r = spawnSync(a.engine!, ['image', 'inspect', a.image!], {encoding: 'utf8'});
if (r.error) {
  const code = (r.error as NodeJS.ErrnoException).code;
  die(code === 'ENOENT' ? `no container engine: "${a.engine}" is not on PATH; env/container-image needs docker (or podman) on this host` : `could not run ${a.engine}: ${r.error.message}`);
}
if (r.status !== 0) die(`${a.engine} image inspect ${a.image} failed (${r.stderr.trim() || `exit ${r.status}`}); is the engine running and the image pulled (\`${a.engine} pull ${a.image}\`)?`);
const fp = parseImageInspect(r.stdout);
if (!fp.ok) die(fp.error.message);
else {
  if (!matchesPin(fp.value, a.image!)) die(`local image ${fp.value.id} does not match the pinned reference ${a.image}`);
  writeFileSync(a.out!, `${JSON.stringify({image: a.image, ...fp.value}, null, 1)}\n`);
  console.log(`image ${a.image}: ${fp.value.id}`);
}
