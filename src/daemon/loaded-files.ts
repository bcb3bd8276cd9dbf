/**
 * The files the daemon has loaded as code since it started, beyond its own engine bundle: its
 * dependencies, and any package a config imports (external to the compiled config, so loaded once
 * and kept by Node's module caches). A command in a process of its own would load them afresh. So
 * before each command the daemon checks that none changed, and retires when one did (serve.ts),
 * rather than run old code; and a config that imports a package of its own is declined after its
 * first command, because what a package does once as it loads (read `.env`, a file) a later
 * command would not see happen again.
 *
 * ES modules are reported by a load hook (load-hook.mjs, on Node's hooks thread) with the stamp
 * taken before the file was read. CommonJS files that an ES module requires do not pass that hook
 * on Node 20: they are taken from `require.cache` after each command, and one that changed while
 * the command ran (its ctime not older than the command's start, less a second for the clock's
 * granularity) counts as changed at once.
 */
import {createRequire, register} from 'node:module';
import {existsSync, readFileSync, realpathSync, statSync} from 'node:fs';
import {dirname, join, sep} from 'node:path';
import {fileURLToPath} from 'node:url';
import {MessageChannel, type MessagePort} from 'node:worker_threads';

/** A compiled config is loaded afresh by every command, and removed when the config changes. */
const COMPILED_CONFIG = /\/config-[0-9a-f]{16}\.mjs$/;
const RACY_MS = 1000;

/**
 * Where bevbuild's own code lives: its package directory (sources, the engine bundle's cache) and
 * those of its dependencies, wherever npm put them (nested, or hoisted beside it). Anything else a
 * command loads is the config's own choice of package.
 */
export function ownCodeDirs(): string[] {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {dependencies?: Record<string, string>};
  const dirs = [realpathSync(root)];
  for (const dep of Object.keys(pkg.dependencies ?? {})) {
    for (let d = root; ; d = dirname(d)) {
      const at = join(d, 'node_modules', dep);
      if (existsSync(at)) {
        dirs.push(realpathSync(at));
        break;
      }
      if (dirname(d) === d) break;
    }
  }
  return dirs.map((d) => (d.endsWith(sep) ? d : `${d}${sep}`));
}

export class LoadedFiles {
  readonly #port: MessagePort;
  /** Path → its stamp when loaded ('changed': changed while a command ran). */
  readonly #files = new Map<string, string>();
  readonly #flushes = new Map<number, () => void>();
  #flushCount = 0;

  private constructor(port: MessagePort) {
    this.#port = port;
    port.on('message', (m: {flush?: number; path?: string; stamp?: string}) => {
      if (typeof m.flush === 'number') this.#flushes.get(m.flush)?.();
      else if (typeof m.path === 'string' && typeof m.stamp === 'string' && !COMPILED_CONFIG.test(m.path) && !this.#files.has(m.path)) this.#files.set(m.path, m.stamp);
    });
    port.unref();
  }

  /** Starts reporting; undefined where Node has no module hooks (then no daemon is served). */
  static start(): LoadedFiles | undefined {
    if (typeof register !== 'function') return undefined;
    const {port1, port2} = new MessageChannel();
    register(new URL('./load-hook.mjs', import.meta.url).href, {data: {port: port2}, transferList: [port2]});
    return new LoadedFiles(port1);
  }

  /**
   * After a command that started at `startedMs`: waits until the hook thread's reports have all
   * arrived, then notes the CommonJS files it loaded.
   */
  async settle(startedMs: number): Promise<void> {
    const n = ++this.#flushCount;
    this.#port.ref(); // the answer is awaited: it must keep the process alive
    await new Promise<void>((resolve) => {
      this.#flushes.set(n, resolve);
      this.#port.postMessage({flush: n});
    });
    this.#port.unref();
    this.#flushes.delete(n);
    for (const path of Object.keys(createRequire(import.meta.url).cache)) {
      if (this.#files.has(path)) continue;
      const st = statSync(path, {throwIfNoEntry: false});
      const stamp = st ? stampOf(path) : 'missing';
      this.#files.set(path, st && Math.max(st.mtimeMs, st.ctimeMs) >= startedMs - RACY_MS ? 'changed' : stamp);
    }
  }

  /** The first loaded file outside `ownDirs` (see ownCodeDirs), or undefined. */
  foreign(ownDirs: string[]): string | undefined {
    for (const path of this.#files.keys()) if (!ownDirs.some((d) => path.startsWith(d))) return path;
    return undefined;
  }

  /** The first loaded file that is not what was loaded, or undefined. */
  changed(): string | undefined {
    for (const [path, stamp] of this.#files) if (stampOf(path) !== stamp) return path;
    return undefined;
  }
}

function stampOf(path: string): string {
  const st = statSync(path, {throwIfNoEntry: false});
  return st ? `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}` : 'missing';
}
