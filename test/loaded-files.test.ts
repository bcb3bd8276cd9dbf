/**
 * Issue 12: the daemon's record of the code it loaded (src/daemon/loaded-files.ts): a module file
 * edited after it was loaded is named, and so is a module outside bevbuild's own directories.
 */
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {pathToFileURL} from 'node:url';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {LoadedFiles, ownCodeDirs} from '../src/daemon/loaded-files.ts';

const test = suite('loaded-files');

test('a loaded module edited afterwards is changed; one outside bevbuild is foreign', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bevbuild-loaded-'));
  try {
    const loaded = LoadedFiles.start();
    assert.ok(loaded, 'Node 20 has module hooks');
    const mod = join(dir, 'm.mjs');
    writeFileSync(mod, 'export const v = 1;\n');
    const started = Date.now() - 5000; // the file is older than the command's start would be
    await import(pathToFileURL(mod).href);
    await loaded!.settle(started);
    assert.is(loaded!.changed(), undefined);
    const own = ownCodeDirs();
    assert.ok(own.some((d) => import.meta.filename.startsWith(d)), 'this checkout is bevbuild');
    assert.is(loaded!.foreign(own), mod);
    writeFileSync(mod, 'export const v = 22;\n');
    assert.is(loaded!.changed(), mod);
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});

test.run();
