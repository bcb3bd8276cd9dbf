/**
 * The `bevbuild ui` HTTP server. Loopback only: it binds 127.0.0.1, answers only requests whose
 * Host header names that address (or localhost) and its port — a page on another site cannot reach
 * it through DNS rebinding — and serves nothing but its own assets (a fixed table, no paths), the
 * JSON API, and workspace files that are declared outputs or build logs (resolved without leaving
 * the workspace, symlinks included). Starting builds from the page (`--allow-build`) also needs a
 * same-origin JSON POST, which a cross-site form cannot send.
 */
import {spawn} from 'node:child_process';
import {createReadStream, readFileSync, realpathSync, statSync} from 'node:fs';
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http';
import type {AddressInfo} from 'node:net';
import {isAbsolute, join, relative, resolve, sep} from 'node:path';
import {fileURLToPath} from 'node:url';
import {computePlan, type PlanEvent} from '../commands/plan.ts';
import {openWorkspace, type OpenWorkspace} from '../engine/open-workspace.ts';
import {globToRegExp} from '../graph/glob.ts';
import {closure} from '../graph/graph.ts';
import {selectTargets} from '../graph/select.ts';
import {fail, ok, type Result} from '../result.ts';
import type {Reporter} from '../reporting/events.ts';
import {historyDir, listRunIds, readRunSummary} from '../reporting/run-history.ts';
import {layoutGraph} from './layout.ts';
import {followHistory, type LiveEvent} from './live-events.ts';
import {reasonText} from '../engine/rebuild-reason.ts';
import {lastRun, nodeDetails} from './node-details.ts';
import {validationReports} from './validation-reports.ts';

export type NodeStateName = 'fresh' | 'restore' | 'stale' | 'running' | 'failed';

export interface UiOptions {
  root: string;
  /** Target patterns (all nodes when empty). */
  targets: string[];
  /** 0: a free port. */
  port: number;
  allowBuild: boolean;
  /** Where warnings go (stderr in the command). */
  warn: (message: string) => void;
  /** The bevbuild executable the page's builds run (`--allow-build`). */
  bevbuildBin?: string | undefined;
}

export interface UiServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const ASSETS: Record<string, {file: string; type: string}> = {
  '/': {file: 'index.html', type: 'text/html; charset=utf-8'},
  '/assets/app.js': {file: 'app.js', type: 'text/javascript; charset=utf-8'},
  '/assets/style.css': {file: 'style.css', type: 'text/css; charset=utf-8'},
  '/favicon.svg': {file: 'favicon.svg', type: 'image/svg+xml'},
};
const ASSET_DIR = fileURLToPath(new URL('./assets/', import.meta.url));

const quiet: Reporter = {log: () => {}, close: () => {}};

/** Starts the server; resolves once it listens, or with the workspace's problems. */
export async function startUi(opts: UiOptions): Promise<Result<UiServer>> {
  const view = new View(opts);
  const first = await view.refresh();
  if (!first.ok) return first;
  const server = createServer((req, res) => {
    view.handle(req, res).catch((e: Error) => {
      if (!res.headersSent) send(res, 500, {error: e.message});
      else res.end();
    });
  });
  const listening = await new Promise<Result<AddressInfo>>((done) => {
    server.once('error', (e: NodeJS.ErrnoException) => done(fail('usage', `cannot listen on 127.0.0.1:${opts.port}: ${e.code === 'EADDRINUSE' ? 'the port is in use; pick another with --port, or omit it for a free one' : e.message}`)));
    server.listen(opts.port, '127.0.0.1', () => done(ok(server.address() as AddressInfo)));
  });
  if (!listening.ok) return listening;
  const port = listening.value.port;
  view.port = port;
  const stop = followHistory(historyDir(view.ws.paths.dir), (e) => view.onLive(e));
  return ok({
    url: `http://127.0.0.1:${port}/`,
    port,
    close: async () => {
      stop();
      view.closeClients();
      const closed = new Promise<void>((done) => server.close(() => done()));
      server.closeAllConnections(); // idle keep-alive sockets would hold close() open
      await closed;
    },
  });
}

class View {
  readonly opts: UiOptions;
  port = 0;
  ws!: OpenWorkspace;
  ids: string[] = [];
  plan = new Map<string, PlanEvent>();
  readonly running = new Set<string>();
  readonly failed = new Set<string>();
  readonly clients = new Set<ServerResponse>();
  #refreshing: Promise<Result<void>> | undefined;
  #again = false;

  constructor(opts: UiOptions) {
    this.opts = opts;
  }

  /** Re-reads the workspace (config, state) and recomputes the plan; one at a time. */
  refresh(): Promise<Result<void>> {
    if (this.#refreshing) {
      this.#again = true;
      return this.#refreshing;
    }
    this.#refreshing = (async () => {
      let r: Result<void>;
      do {
        this.#again = false;
        r = await this.#load();
      } while (this.#again);
      this.#refreshing = undefined;
      return r;
    })();
    return this.#refreshing;
  }

  async #load(): Promise<Result<void>> {
    const opened = await openWorkspace(this.opts.root, quiet);
    if (!opened.ok) return fail('usage', `the workspace has configuration errors:\n${opened.error.map((d) => `  ${d.message}`).join('\n')}`);
    const ws = opened.value;
    let targets = ws.graph.order;
    if (this.opts.targets.length) {
      const sel = selectTargets(ws.graph, this.opts.targets);
      if (!sel.ok) return fail('usage', sel.error.map((d) => d.message).join('\n'));
      targets = sel.value;
    }
    const {plan, warnings} = await computePlan(ws, targets);
    for (const w of warnings) this.opts.warn(w);
    this.ws = ws;
    this.ids = closure(ws.graph, targets);
    // Nodes whose last run failed (in any terminal, before this page existed) show as failed.
    const dir = historyDir(ws.paths.dir);
    for (const runId of listRunIds(dir)) {
      for (const n of readRunSummary(dir, runId)?.nodes ?? []) {
        if (n.status === 'failed') this.failed.add(n.id);
        else if (n.status !== 'skipped') this.failed.delete(n.id);
      }
    }
    this.plan = plan;
    this.broadcast({type: 'states', states: this.states()});
    return ok(undefined);
  }

  stateOf(id: string): NodeStateName {
    if (this.running.has(id)) return 'running';
    const p = this.plan.get(id);
    if (this.failed.has(id) && p?.action !== 'fresh') return 'failed';
    return !p || p.action === 'fresh' ? 'fresh' : p.action === 'restore' ? 'restore' : 'stale';
  }

  states(): Record<string, NodeStateName> {
    return Object.fromEntries(this.ids.map((id) => [id, this.stateOf(id)]));
  }

  /** An event of a build (this page's or another terminal's). */
  onLive(e: LiveEvent): void {
    const id = typeof e['id'] === 'string' ? e['id'] : undefined;
    if (e.type === 'start' && id) {
      this.running.add(id);
      this.failed.delete(id);
    } else if (e.type === 'done' && id) {
      this.running.delete(id);
      this.failed.delete(id);
      const p = this.plan.get(id);
      if (p) this.plan.set(id, {...p, action: 'fresh', reasons: []}); // built: up to date until the next plan says otherwise
    } else if (e.type === 'failed' && id) {
      this.running.delete(id);
      this.failed.add(id);
    } else if (e.type === 'summary') {
      this.running.clear();
      void this.refresh().then((r) => {
        // An edit broke the config: keep showing the last good view and say why.
        if (!r.ok) {
          this.opts.warn(r.error.message);
          this.broadcast({type: 'problem', message: r.error.message});
        }
      });
    }
    const pass = ['run-start', 'start', 'done', 'failed', 'skipped', 'summary'];
    if (pass.includes(e.type)) this.broadcast({...e, ...(id && this.ids.includes(id) ? {state: this.stateOf(id)} : {})});
  }

  broadcast(msg: unknown): void {
    const data = `data: ${JSON.stringify(msg)}\n\n`;
    for (const c of this.clients) c.write(data);
  }

  closeClients(): void {
    for (const c of this.clients) c.end();
    this.clients.clear();
  }

  /** The Host header names this server (not a rebinding attacker's name for 127.0.0.1). */
  hostAllowed(host: string | undefined): boolean {
    return host === `127.0.0.1:${this.port}` || host === `localhost:${this.port}` || host === `[::1]:${this.port}`;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.hostAllowed(req.headers.host)) {
      send(res, 403, {error: `bevbuild ui answers only requests for 127.0.0.1:${this.port} (Host was ${JSON.stringify(req.headers.host ?? '')})`});
      return;
    }
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${this.port}`);
    const path = url.pathname;
    if (req.method === 'POST' && path === '/api/build') return this.startBuild(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, {error: 'only GET (and POST /api/build with --allow-build)'});
    const asset = ASSETS[path];
    if (asset) {
      res.writeHead(200, {'content-type': asset.type, 'cache-control': 'no-store', ...SECURITY_HEADERS});
      res.end(readFileSync(join(ASSET_DIR, asset.file)));
      return;
    }
    switch (path) {
      case '/api/graph': {
        const layout = layoutGraph(this.ws.graph, this.ids);
        return send(res, 200, {root: this.ws.graph.root, targets: this.opts.targets, allowBuild: this.opts.allowBuild, layout, states: this.states(), reasons: Object.fromEntries(this.ids.map((id) => [id, (this.plan.get(id)?.reasons ?? []).map(reasonText)]))});
      }
      case '/api/match': {
        const glob = url.searchParams.get('glob') ?? '';
        const re = globToRegExp(glob.replace(/^\.\//, '').replace(/\/$/, ''));
        return send(res, 200, {glob, ids: this.ids.filter((id) => re.test(id))});
      }
      case '/api/node': {
        const id = url.searchParams.get('id') ?? '';
        if (!this.ids.includes(id)) return send(res, 404, {error: `no node ${JSON.stringify(id)} in view`});
        return send(res, 200, {...(await nodeDetails(this.ws, this.plan, id)), state: this.stateOf(id)});
      }
      case '/api/validation': {
        const kept = new Map<string, {dir: string; runId: string}>();
        for (const id of this.ids) {
          if (!this.ws.graph.nodes.get(id)!.outputs.some((o) => o.endsWith('validation.json'))) continue;
          const last = await lastRun(this.ws, id);
          if (last?.status === 'failed' && last.logFile) kept.set(id, {dir: `${last.logFile.replace(/\.log$/, '')}.outputs`, runId: last.runId});
        }
        return send(res, 200, {reports: validationReports(this.ws.graph, this.ids, (id) => this.ws.state.get(id)?.builtAt, (id) => kept.get(id))});
      }
      case '/api/runs': {
        const dir = historyDir(this.ws.paths.dir);
        const runs = listRunIds(dir).reverse().map((runId) => {
          const s = readRunSummary(dir, runId);
          return s ? {runId, startedAt: s.startedAt, argv: s.argv, executed: s.executed, restored: s.restored, fresh: s.fresh, failed: s.failed, durationMs: s.durationMs} : {runId, incomplete: true};
        });
        return send(res, 200, {runs});
      }
      case '/api/run': {
        const s = readRunSummary(historyDir(this.ws.paths.dir), url.searchParams.get('id') ?? '');
        return s ? send(res, 200, s) : send(res, 404, {error: 'no summary for that run (killed, still running, or pruned)'});
      }
      case '/api/events': {
        res.writeHead(200, {'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive'});
        res.write(`data: ${JSON.stringify({type: 'states', states: this.states()})}\n\n`);
        this.clients.add(res);
        req.on('close', () => this.clients.delete(res));
        return;
      }
      default:
        if (path.startsWith('/files/')) return this.serveFile(decodePath(path.slice('/files/'.length)), res);
        return send(res, 404, {error: `no such page: ${path}`});
    }
  }

  /** A declared output (or a file inside an output directory) or a build log, never anything else. */
  serveFile(rel: string | undefined, res: ServerResponse): void {
    const file = rel === undefined ? undefined : this.allowedFile(rel);
    if (!file) return send(res, 404, {error: 'not a declared output or build log of this workspace'});
    const type = file.endsWith('.html') ? 'text/html; charset=utf-8' : file.endsWith('.json') ? 'application/json' : file.endsWith('.svg') ? 'image/svg+xml' : file.endsWith('.png') ? 'image/png' : 'text/plain; charset=utf-8';
    // A served report page may not script against the API (it is the workspace's content, not ours).
    res.writeHead(200, {'content-type': type, 'cache-control': 'no-store', 'content-security-policy': "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:", ...SECURITY_HEADERS});
    createReadStream(file).pipe(res);
  }

  allowedFile(rel: string): string | undefined {
    if (rel.includes('\0') || isAbsolute(rel)) return undefined;
    const root = this.ws.graph.root;
    const abs = resolve(root, rel);
    const r = relative(root, abs);
    if (!r || r.startsWith('..') || isAbsolute(r)) return undefined;
    const logs = relative(root, this.ws.paths.logs);
    const declared = (p: string) => this.ids.some((id) => this.ws.graph.nodes.get(id)!.outputs.some((o) => p === o || p.startsWith(`${o}/`)));
    // Logs, and the outputs bevbuild kept beside the log of a failed run (`<log>.outputs/…`).
    const isLog = !logs.startsWith('..') && !isAbsolute(logs) && r.startsWith(`${logs}${sep}`) && (r.endsWith('.log') || r.includes(`.outputs${sep}`));
    if (!isLog && !declared(r.split(sep).join('/'))) return undefined;
    try {
      // Symlinks may not lead out of the workspace.
      const real = realpathSync(abs);
      const realRoot = realpathSync(root);
      if (real !== realRoot && !real.startsWith(`${realRoot}${sep}`)) return undefined;
      return statSync(real).isFile() ? real : undefined;
    } catch {
      return undefined;
    }
  }

  async startBuild(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.opts.allowBuild) return send(res, 403, {error: 'starting builds from the page is off; run `bevbuild ui --allow-build` to allow it'});
    const origin = req.headers.origin;
    if (origin !== `http://127.0.0.1:${this.port}` && origin !== `http://localhost:${this.port}`) return send(res, 403, {error: 'cross-origin build requests are refused'});
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) return send(res, 415, {error: 'expected application/json'});
    let body = '';
    for await (const chunk of req) {
      body += String(chunk);
      if (body.length > 4096) return send(res, 413, {error: 'request too large'});
    }
    let target: unknown;
    try {
      target = (JSON.parse(body) as {target?: unknown}).target;
    } catch {
      return send(res, 400, {error: 'expected {"target": "<node id>"}'});
    }
    if (typeof target !== 'string' || !this.ids.includes(target)) return send(res, 400, {error: `expected the id of a node in view, got ${JSON.stringify(target)}`});
    const bin = this.opts.bevbuildBin ?? process.argv[1]!;
    const child = spawn(process.execPath, [bin, 'build', target, '-C', this.ws.graph.root], {stdio: 'ignore', detached: false, env: {...process.env, CI: '1'}});
    child.on('error', (e) => this.opts.warn(`could not start the build of ${target}: ${e.message}`));
    send(res, 202, {started: target, pid: child.pid});
  }
}

const SECURITY_HEADERS = {'x-content-type-options': 'nosniff', 'x-frame-options': 'SAMEORIGIN', 'referrer-policy': 'no-referrer'};

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {'content-type': 'application/json', 'cache-control': 'no-store', ...SECURITY_HEADERS});
  res.end(JSON.stringify(body));
}

/** A URL path decoded, or undefined when it is malformed. */
function decodePath(p: string): string | undefined {
  try {
    return decodeURIComponent(p);
  } catch {
    return undefined;
  }
}
