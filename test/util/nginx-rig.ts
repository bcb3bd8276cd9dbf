/**
 * A real nginx with WebDAV PUT serving the Bazel HTTP cache layout (`/cas/`, `/ac/`) from a temp
 * directory on a free localhost port. Tests talk to it exactly as users' CI talks to theirs.
 * Throws (so the test fails, never silently passes) when nginx is missing or does not start:
 * CI installs it with `.ci/install-servers.sh`.
 */
import {spawn, spawnSync} from 'node:child_process';
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {connect, createServer} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';

export interface NginxRig {
  /** Base URL of the cache, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  /** Directory served as the document root (objects land in `data/cas/<digest>`). */
  dataDir: string;
  /** Lines of the access log so far (`"METHOD /path HTTP/1.1" status …`). */
  accessLog(): string[];
  stop(): Promise<void>;
}

/** A port the kernel considers free right now (tiny race with other processes; fine for tests). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function findNginx(): string {
  for (const p of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx']) if (existsSync(p)) return p;
  const r = spawnSync('sh', ['-c', 'command -v nginx'], {encoding: 'utf8'});
  if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  throw new Error('nginx is not installed: run .ci/install-servers.sh (needs Debian nginx-light or nginx)');
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** Starts nginx; stop it with `stop()` in a `finally`. */
export async function startNginx(): Promise<NginxRig> {
  const bin = findNginx();
  const dir = mkdtempSync(join(tmpdir(), 'bevbuild-nginx-'));
  // Workers run as nobody: they must be able to traverse the (0700) temp dir.
  chmodSync(dir, 0o755);
  for (const d of ['data/cas', 'data/ac', 'tmp/client', 'tmp/proxy', 'tmp/fastcgi', 'tmp/uwsgi', 'tmp/scgi']) {
    mkdirSync(join(dir, d), {recursive: true});
  }
  if (process.getuid?.() === 0) {
    // PUT returns 500 unless the worker user owns the root and the body temp dir.
    spawnSync('chown', ['-R', 'nobody:nogroup', join(dir, 'data'), join(dir, 'tmp')]);
  }
  const port = await freePort();
  const user = process.getuid?.() === 0 ? 'user nobody nogroup;' : '';
  writeFileSync(
    join(dir, 'nginx.conf'),
    `${user}
worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log info;
events { worker_connections 256; }
http {
  access_log ${dir}/access.log; client_max_body_size 0; default_type application/octet-stream;
  client_body_temp_path ${dir}/tmp/client; proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi; uwsgi_temp_path ${dir}/tmp/uwsgi; scgi_temp_path ${dir}/tmp/scgi;
  server { listen 127.0.0.1:${port}; root ${dir}/data;
    location /cas/ { dav_methods PUT DELETE; create_full_put_path on; }
    location /ac/  { dav_methods PUT DELETE; create_full_put_path on; } } }
`,
  );
  const child = spawn(bin, ['-c', join(dir, 'nginx.conf'), '-p', `${dir}/`], {stdio: ['ignore', 'ignore', 'pipe']});
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  child.on('exit', () => (exited = true));
  const deadline = Date.now() + 10_000;
  while (!(await portOpen(port))) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      const log = existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '';
      rmSync(dir, {recursive: true, force: true});
      throw new Error(`nginx did not start on port ${port}: ${stderr.trim()} ${log.trim().split('\n').slice(-5).join(' | ')}`);
    }
    await sleep(50);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dataDir: join(dir, 'data'),
    accessLog: () => {
      const p = join(dir, 'access.log');
      return existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter(Boolean) : [];
    },
    stop: async () => {
      if (!exited && child.pid !== undefined) {
        // QUIT = graceful shutdown of the master (started with daemon off, so this PID is it).
        process.kill(child.pid, 'SIGQUIT');
        const end = Date.now() + 5000;
        while (!exited && Date.now() < end) await sleep(50);
        if (!exited) child.kill('SIGKILL');
      }
      rmSync(dir, {recursive: true, force: true});
    },
  };
}
