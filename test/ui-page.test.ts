/**
 * Issue 13 acceptance: the real `bevbuild ui` page in headless Chromium (Debian's, over the
 * DevTools protocol). A 22-node workspace shaped like the demo (2 datasets × 2 pipelines) is built
 * once — one gate fails on frame 000007, one config is then edited, one output cleaned — and the
 * page must show every node in its state, the root cause of a stale node, the failing frame of the
 * failing gate, and turn nodes green while a CLI build runs in parallel, without a reload.
 *
 * BEVBUILD_UI_SCREENSHOTS=1 (or a directory) also writes the screenshots the README shows
 * (docs/ui-graph.png, docs/ui-validation.png, docs/ui-runs.png).
 */
import {mkdirSync} from 'node:fs';
import {join} from 'node:path';
import type {ChildProcess} from 'node:child_process';
import type {Browser, Page} from 'puppeteer-core';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import {startBrowser} from './util/browser.ts';
import {withTimeout} from './util/rig-test.ts';
import {FAILING_FRAME, FAILING_GATE, UI_NODES, uiWorkspaceFiles, writeUiWorkspace} from './util/ui-workspace.ts';
import {repoRoot} from './util/venv.ts';
import {WorkspaceRig} from './util/workspace-rig.ts';

const test = suite('ui-page');

const SHOTS = process.env['BEVBUILD_UI_SCREENSHOTS'];
const shotDir = SHOTS === '1' ? join(repoRoot, 'docs') : SHOTS;

interface Env {
  rig: WorkspaceRig;
  ui: ChildProcess;
  browser: Browser & AsyncDisposable;
  page: Page;
}

let env: Promise<Env> | undefined;
/** Made by the first test that needs it (uvu ignores failures in `before` hooks: lukeed/uvu#191). */
function setup(): Promise<Env> {
  env ??= (async () => {
    const rig = await WorkspaceRig.create();
    writeUiWorkspace(rig);
    const first = await rig.exec(['-k', 'deploy/**']);
    assert.is(first.code, 1, `one gate fails: ${first.stderr}`);
    rig.write({'src/v2x-second.cfg': 'epochs: 2\n'}); // train/v2x/second and what follows: stale
    const clean = await rig.exec(['clean', 'deploy/kitti/second']); // in the store: would restore
    assert.is(clean.code, 0, clean.stderr);
    const ui = rig.spawn(['ui']);
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      ui.child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const line = /^(http:\/\/127\.0\.0\.1:\d+\/)\n/.exec(out);
        if (line) resolve(line[1]!);
      });
      void ui.done.then((r) => reject(new Error(`bevbuild ui exited ${r.code}: ${r.stderr}`)));
    });
    const browser = await startBrowser();
    const page = await browser.newPage();
    await page.setViewport({width: 1880, height: 820}); // the whole 22-node graph beside the panel (README screenshots)
    const errors: string[] = [];
    const elsewhere: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (r) => {
      if (!r.url().startsWith(url)) elsewhere.push(r.url());
    });
    await page.goto(url);
    await page.waitForSelector('body[data-ready="1"]');
    assert.equal(errors, [], 'the page runs without script errors');
    assert.equal(elsewhere, [], 'everything the page loads comes from the ui server (no CDN, no network)');
    return {rig, ui: ui.child, browser, page};
  })();
  return env;
}

test.after(async () => {
  if (!env) return;
  const e = await env.catch(() => undefined);
  if (!e) return;
  await e.browser.close();
  e.ui.kill('SIGTERM');
  await new Promise((r) => e.ui.once('close', r));
  await e.rig[Symbol.asyncDispose]();
});

const stateOf = (page: Page, id: string) => page.$eval(`.node[data-id="${id}"]`, (el) => el.getAttribute('data-state'));

async function shot(page: Page, name: string): Promise<void> {
  if (!shotDir) return;
  mkdirSync(shotDir, {recursive: true});
  await page.screenshot({path: join(shotDir, name) as `${string}.png`});
}

test('the page shows every node in its state', withTimeout(async () => {
  const {page} = await setup();
  assert.is((await page.$$('.node')).length, UI_NODES);
  const states = Object.fromEntries(await page.$$eval('.node', (els) => els.map((el) => [el.getAttribute('data-id'), el.getAttribute('data-state')])));
  const expected: Record<string, string> = {};
  for (const id of Object.keys(states)) expected[id] = 'fresh';
  for (const k of ['train', 'onnx', 'int8', 'validate', 'deploy']) expected[`${k}/v2x/second`] = 'stale';
  expected[FAILING_GATE] = 'failed';
  expected['deploy/v2x/pointpillars'] = 'stale'; // skipped behind the failed gate: never built
  expected['deploy/kitti/second'] = 'restore';
  assert.equal(states, expected);
  assert.match(await page.$eval('#counts', (el) => el.textContent ?? ''), new RegExp(`^${UI_NODES} nodes`));
  // The glob filter dims what it does not match.
  await page.type('#filter', 'deploy/**');
  // Wait for the filter's final state (each keystroke is a request), then check exactly what it kept.
  await page.waitForFunction(`document.querySelectorAll('.node:not(.dim)').length === 4`, {timeout: 30_000}).catch(() => undefined);
  assert.equal(
    await page.$$eval('.node:not(.dim)', (els) => els.map((el) => el.getAttribute('data-id')).sort()),
    ['deploy/kitti/pointpillars', 'deploy/kitti/second', 'deploy/v2x/pointpillars', 'deploy/v2x/second'],
  );
  await page.evaluate(`document.querySelector('#filter').value = ''`);
  await page.type('#filter', ' ');
  await page.waitForFunction(`document.querySelectorAll('.node.dim').length === 0`);
}, 180_000));

test('clicking a stale node shows its root cause', withTimeout(async () => {
  const {page} = await setup();
  await page.click('.node[data-id="deploy/v2x/second"]');
  await page.waitForSelector('#panel .root-cause');
  const roots = await page.$$eval('#panel .root-cause', (els) => els.map((el) => el.textContent ?? ''));
  assert.equal(roots, ['root cause train/v2x/second: input-changed: src/v2x-second.cfg']);
  const panel = await page.$eval('#panel', (el) => el.textContent ?? '');
  assert.match(panel, /Outputs/);
  assert.match(panel, /out\/deploy\/v2x\/second\/model\.xml/);
  assert.match(panel, /provenance|Provenance/);
  await shot(page, 'ui-graph.png');
  // A failed node: its last run with exit status and log tail.
  await page.click(`.node[data-id="${FAILING_GATE}"]`);
  await page.waitForFunction(`document.querySelector('#panel h2')?.textContent === ${JSON.stringify(FAILING_GATE)} && document.querySelector('#panel .log-tail')`);
  const failed = await page.$eval('#panel', (el) => el.textContent ?? '');
  assert.match(failed, /bash exited with code 1/);
  assert.match(await page.$eval('#panel .log-tail', (el) => el.textContent ?? ''), new RegExp(`INT8 gate failed: frame ${FAILING_FRAME}`));
}, 60_000));

test('the validation view shows the failing frame of the failing gate', withTimeout(async () => {
  const {page} = await setup();
  await page.click('nav button[data-tab=validation]');
  const report = `.report[data-id="${FAILING_GATE}"]`;
  await page.waitForSelector(report);
  assert.is(await page.$eval(`${report} .verdict`, (el) => el.textContent), 'FAIL');
  const failing = await page.$$eval(`${report} tr.frame.fail`, (els) => els.map((el) => el.getAttribute('data-frame')));
  assert.equal(failing, [FAILING_FRAME]);
  const row = await page.$eval(`${report} tr.frame.fail`, (el) => el.textContent ?? '');
  assert.match(row, /4 boxes differ/);
  const criteria = await page.$eval(`${report} table.criteria`, (el) => el.textContent ?? '');
  assert.match(criteria, /≤ 2/, 'the threshold reads as a threshold');
  assert.match(criteria, /-2 box\(es\)/, 'the margin to failing (negative: failed by 2)');
  // Failing gates come first; the passing ones are there too.
  assert.is(await page.$eval('.report', (el) => el.getAttribute('data-id')), FAILING_GATE);
  assert.is((await page.$$('.report')).length, 4);
  await shot(page, 'ui-validation.png');
  await page.click('nav button[data-tab=graph]');
}, 60_000));

test('a CLI build in another terminal turns stale nodes green without a reload', withTimeout(async () => {
  const {page, rig} = await setup();
  await page.evaluate('window.marker = 42'); // gone if the page reloads
  assert.is(await stateOf(page, 'deploy/v2x/second'), 'stale');
  // train/v2x/second now waits for a file: the page must show it running while it waits.
  const go = rig.path('go');
  rig.write({'bevbuild.config.ts': uiWorkspaceFiles({waitFor: go})['bevbuild.config.ts']!});
  const build = rig.spawn(['deploy/v2x/second', 'deploy/kitti/second']);
  await page.waitForFunction(`document.querySelector('.node[data-id="train/v2x/second"]')?.getAttribute('data-state') === 'running'`, {timeout: 60_000});
  assert.is(await stateOf(page, 'deploy/v2x/second'), 'stale', 'what waits for it is still stale');
  await shot(page, 'ui-live.png');
  rig.write({go: ''});
  const r = await build.done;
  assert.is(r.code, 0, r.stderr);
  const fresh = (id: string) => `document.querySelector('.node[data-id="${id}"]')?.getAttribute('data-state') === 'fresh'`;
  await page.waitForFunction(['train', 'onnx', 'int8', 'validate', 'deploy'].map((k) => fresh(`${k}/v2x/second`)).join(' && '), {timeout: 60_000});
  await page.waitForFunction(fresh('deploy/kitti/second'), {timeout: 60_000});
  assert.is(await page.evaluate('window.marker'), 42, 'no reload');
  assert.is(await stateOf(page, FAILING_GATE), 'failed', 'untouched by this build');
  // The run is listed with its summary and critical path.
  await page.click('nav button[data-tab=runs]');
  await page.waitForFunction(`document.querySelectorAll('tr[data-run]').length === 2`);
  await page.click('tr[data-run]'); // newest first
  await page.waitForSelector('.critical-path');
  const cp = await page.$eval('.critical-path', (el) => el.textContent ?? '');
  assert.match(cp, /train\/v2x\/second → onnx\/v2x\/second → int8\/v2x\/second → .*deploy\/v2x\/second/);
  assert.match(await page.$eval('#run-detail', (el) => el.textContent ?? ''), /ran 5, restored 1/);
  await shot(page, 'ui-runs.png');
}, 120_000));

test.run();
