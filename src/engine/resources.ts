/**
 * Resource pools (DESIGN.md decision 6): `cpu` slots and concrete `gpu` devices. A node's whole
 * request (cpu weight + N GPUs + its exclusive name) is granted atomically, so two nodes never
 * hold half of what each needs. Waiting requests are served in order, but a request that fits
 * may pass one that does not (CPU work flows around queued GPU work). A request larger than the
 * pool is clamped to the pool (a 4-slot job on a 2-core machine runs alone, not never).
 */
import {spawnSync} from 'node:child_process';

export interface Grant {
  gpus: string[];
  release(): void;
}

interface Waiter {
  cpu: number;
  gpu: number;
  exclusive: string | undefined;
  resolve: (g: Grant) => void;
}

export class ResourcePools {
  readonly cpuTotal: number;
  readonly gpuIds: string[];
  #cpuFree: number;
  #gpuFree: string[];
  #exclusive = new Set<string>();
  #waiting: Waiter[] = [];

  constructor(cpu: number, gpuIds: string[]) {
    this.cpuTotal = Math.max(1, cpu);
    this.gpuIds = gpuIds;
    this.#cpuFree = this.cpuTotal;
    this.#gpuFree = [...gpuIds];
  }

  /** Whether a request could ever be satisfied (GPUs cannot be clamped: a GPU tool needs a GPU). */
  satisfiable(gpu: number): boolean {
    return gpu <= this.gpuIds.length;
  }

  acquire(cpu: number, gpu: number, exclusive?: string): Promise<Grant> {
    return new Promise((resolve) => {
      this.#waiting.push({cpu: Math.min(Math.max(cpu, 0), this.cpuTotal), gpu, exclusive, resolve});
      this.#dispatch();
    });
  }

  #dispatch(): void {
    for (let i = 0; i < this.#waiting.length; ) {
      const w = this.#waiting[i]!;
      const fits =
        w.cpu <= this.#cpuFree &&
        w.gpu <= this.#gpuFree.length &&
        (w.exclusive === undefined || !this.#exclusive.has(w.exclusive));
      if (!fits) {
        i++;
        continue;
      }
      this.#waiting.splice(i, 1);
      this.#cpuFree -= w.cpu;
      const gpus = this.#gpuFree.splice(0, w.gpu);
      if (w.exclusive !== undefined) this.#exclusive.add(w.exclusive);
      let released = false;
      w.resolve({
        gpus,
        release: () => {
          if (released) return;
          released = true;
          this.#cpuFree += w.cpu;
          this.#gpuFree.push(...gpus);
          if (w.exclusive !== undefined) this.#exclusive.delete(w.exclusive);
          this.#dispatch();
        },
      });
    }
  }
}

/** The `gpu` pool's device ids when the config sets no `pools.gpu`, and where they came from. */
export interface DiscoveredGpus {
  ids: string[];
  /** In words, for messages: `CUDA_VISIBLE_DEVICES="0,1"`, `nvidia-smi -L (2 GPUs)`, `nvidia-smi not found…`. */
  source: string;
}

/**
 * The GPUs this machine offers its tools (DESIGN.md decision 15: discovered, not assumed). The
 * invoking shell's `CUDA_VISIBLE_DEVICES`, when set, is the user's explicit choice and wins (set to
 * empty: no GPU); else `nvidia-smi -L` lists the devices (`GPU 0: …` → id `0`); else none.
 */
export function discoverGpus(env: NodeJS.ProcessEnv = process.env): DiscoveredGpus {
  const visible = env['CUDA_VISIBLE_DEVICES'];
  if (visible !== undefined) {
    const ids = visible.split(',').map((s) => s.trim()).filter(Boolean);
    return {ids, source: `CUDA_VISIBLE_DEVICES="${visible}" of the invoking shell`};
  }
  const r = spawnSync('nvidia-smi', ['-L'], {encoding: 'utf8', timeout: 15_000, env});
  if (r.error || r.status !== 0) {
    const why = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' ? 'not found on PATH' : `failed (${r.error?.message ?? `exit ${r.status}`}: ${(r.stderr ?? '').trim().split('\n')[0] ?? ''})`;
    return {ids: [], source: `nvidia-smi ${why}, CUDA_VISIBLE_DEVICES unset`};
  }
  const ids = [...r.stdout.matchAll(/^GPU (\d+):/gm)].map((m) => m[1]!);
  return {ids, source: `nvidia-smi -L (${ids.length} GPU${ids.length === 1 ? '' : 's'})`};
}
