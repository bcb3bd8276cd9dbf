/**
 * The files the daemon has loaded as code since it started, beyond its own engine: the packages a
 * config imports (external to the compiled config, so loaded once and kept by Node's module
 * caches). A command in a process of its own would load them afresh; so before each command the
 * daemon checks that none changed, and retires when one did (serve.ts), rather than run old code.
 *
 * ES modules are reported by a load hook (load-hook.mjs, on Node's hooks thread) with the stamp
 * taken before the file was read. CommonJS files that an ES module requires do not pass that hook
 * on Node 20: they are taken from `require.cache` after each command, and one that changed while
 * the command ran (its ctime not older than the command's start, less a second for the clock's
 * granularity) counts as changed at once.
 */
import {createRequire, register} from 'node:module';
import {statSync} from 'node:fs';
import {MessageChannel, type MessagePort} from 'node:worker_threads';

/** A compiled config is loaded afresh by every command, and removed when the config changes. */
const COMPILED_CONFIG = /\/config-[0-9a-f]{16}\.mjs$/;
const RACY_MS = 1000;

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
    await new Promise<void>((resolve) => {
      this.#flushes.set(n, resolve);
      this.#port.postMessage({flush: n});
    });
    this.#flushes.delete(n);
    for (const path of Object.keys(createRequire(import.meta.url).cache)) {
      if (this.#files.has(path)) continue;
      const st = statSync(path, {throwIfNoEntry: false});
      const stamp = st ? stampOf(path) : 'missing';
      this.#files.set(path, st && Math.max(st.mtimeMs, st.ctimeMs) >= startedMs - RACY_MS ? 'changed' : stamp);
    }
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
