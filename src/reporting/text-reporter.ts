/**
 * Human output. On a TTY (and not in CI) a live status line shows done/total, elapsed time and
 * the running nodes; elsewhere plain lines only, one per event, so CI logs stay readable. Both end
 * with a summary table.
 */
import {relative} from 'node:path';
import {planText, reasonsText, type BuildEvent, type Reporter} from './events.ts';
import {shellQuote} from '../shell-quote.ts';
import {unreachable} from '../result.ts';
import {palette} from './color.ts';
import {skipText} from '../engine/skip-reason.ts';

export interface TextReporterOptions {
  total: number;
  tty: boolean;
  verbose: boolean;
  /** ANSI colours (see color.ts for NO_COLOR/FORCE_COLOR); default off. */
  color?: boolean;
  out?: NodeJS.WriteStream;
}

export function textReporter(opts: TextReporterOptions): Reporter {
  const out = opts.out ?? process.stderr;
  const started = Date.now();
  const running = new Map<string, number>();
  let done = 0;
  const rows: {id: string; status: string; ms: number}[] = [];
  let lineShown = false;
  const c = palette(opts.color ?? false);
  /** Paths relative to where bevbuild was started, as users type them. */
  const shown = (p: string) => (p.startsWith('/') ? relative(process.cwd(), p) || '.' : p);

  const clearLine = () => {
    if (lineShown) {
      out.write('\r\x1b[2K');
      lineShown = false;
    }
  };
  const print = (s: string) => {
    clearLine();
    out.write(`${s}\n`);
    paint();
  };
  const paint = () => {
    if (!opts.tty || running.size === 0) return;
    const secs = ((Date.now() - started) / 1000).toFixed(0);
    const names = [...running.keys()].slice(0, 3).join(', ') + (running.size > 3 ? ` +${running.size - 3}` : '');
    const line = `[${done}/${opts.total}] ${secs}s running: ${names}`;
    const width = out.columns && out.columns > 20 ? out.columns - 1 : 120; // 0 when the terminal size is unknown
    out.write(`\r\x1b[2K${line.slice(0, width)}`);
    lineShown = true;
  };
  const timer = opts.tty ? setInterval(paint, 500) : undefined;
  timer?.unref();

  return {
    log(e: BuildEvent) {
      switch (e.type) {
        case 'plan':
          // Like a build's `done` lines: fresh nodes only with -v (`status` lists every node).
          if (e.action === 'fresh' && !e.mayCutOff && !opts.verbose) break;
          print(`${(e.mayCutOff ? 'may run' : e.action).padEnd(7)} ${e.id}${planText(e) ? `  (${planText(e)})` : ''}`);
          break;
        case 'plan-summary':
          print(`\n${e.run} will run, ${e.mayRun} may run (only if what they wait for comes out changed), ${e.restore} to restore, ${e.fresh} fresh`);
          break;
        case 'start':
          running.set(e.id, Date.now());
          // Plain logs name the log at once (to `tail -f` it); a terminal keeps it to the live line.
          print(`${e.action === 'run' ? '▶ run    ' : '↺ restore'} ${e.id}${opts.verbose || e.action === 'run' ? `  (${reasonsText(e.reasons)})` : ''}${e.logFile && !opts.tty ? `\n  log: ${shown(e.logFile)}` : ''}`);
          break;
        case 'done': {
          running.delete(e.id);
          done++;
          rows.push({id: e.id, status: e.status, ms: e.durationMs});
          if (e.status !== 'fresh' || opts.verbose) print(`${c.green('✔')} ${e.status.padEnd(8)} ${e.id}  ${fmtMs(e.durationMs)}`);
          else paint();
          break;
        }
        case 'failed':
          running.delete(e.id);
          done++;
          rows.push({id: e.id, status: 'failed', ms: 0});
          print(`${c.red('✘ failed')}   ${e.id}: ${e.message}${e.argv ? `\n  argv: ${e.argv.map(shellQuote).join(' ')}` : ''}${e.logFile ? `\n  log: ${shown(e.logFile)}` : ''}${e.details?.length ? `\n${e.details.map((d) => `  │ ${d}`).join('\n')}` : ''}`);
          break;
        case 'skipped':
          done++;
          rows.push({id: e.id, status: 'skipped', ms: 0});
          print(c.dim(`- skipped  ${e.id} (${skipText(e.because)})`));
          break;
        case 'warning':
          print(`${c.yellow('⚠')} ${e.message}`);
          break;
        case 'output':
          print(`${c.dim(`[${e.id}]`)} ${e.line}`);
          break;
        case 'info':
          if (opts.verbose) print(`  ${e.message}`);
          break;
        case 'summary': {
          clearLine();
          if (e.dryRun) break; // the plan-summary line said it
          const slow = rows.filter((r) => r.status === 'executed' || r.status === 'restored').sort((a, b) => b.ms - a.ms).slice(0, 8);
          if (slow.length) {
            out.write(`\n${'artifact'.padEnd(44)} ${'status'.padEnd(9)} time\n`);
            for (const r of slow) out.write(`${r.id.padEnd(44)} ${r.status.padEnd(9)} ${fmtMs(r.ms)}\n`);
          }
          out.write(`\nran ${e.executed} · restored ${e.restored} · fresh ${e.fresh} · ${e.failed ? c.red(`failed ${e.failed}`) : 'failed 0'} · ${fmtMs(e.durationMs)}\n`);
          break;
        }
        default:
          unreachable(e);
      }
    },
    close() {
      if (timer) clearInterval(timer);
      clearLine();
    },
  };
}

export function fmtMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}
