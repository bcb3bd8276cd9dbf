/**
 * Configuration diagnostics: every problem found while loading and analysing a workspace, each
 * pointing at the file:line of the declaration and the path of the field. They are collected and
 * printed together (exit code 2), never thrown one at a time.
 */
import {readFileSync} from 'node:fs';
import {relative} from 'node:path';
import type {CallSite} from './config/call-site.ts';

export type DiagnosticCode =
  | 'config-not-found'
  | 'config-load-error'
  /** The workspace cannot be written (disk full, read-only): not a mistake in the config. */
  | 'io-error'
  | 'invalid-config'
  | 'invalid-rule'
  | 'invalid-params'
  | 'duplicate-artifact'
  /** A key repeated in an object literal of the config's source (the first value is lost). */
  | 'duplicate-key'
  | 'duplicate-output'
  | 'invalid-id'
  | 'cycle'
  | 'missing-input'
  | 'unknown-artifact'
  | 'unknown-target'
  | 'no-gpu'
  | 'unavailable';

export interface Diagnostic {
  code: DiagnosticCode;
  message: string;
  site?: CallSite | undefined;
  /** Field path inside the declaration, e.g. ['params', 'numFrames']. */
  path?: PropertyKey[];
  nodeId?: string;
  /** Further lines (cycle trail, suggestions). */
  notes?: string[];
}

/** `a.b[0].c` rendering of a field path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(String(p))) out += out ? `.${String(p)}` : String(p);
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out;
}

/** Plain-text rendering (stable, golden-tested), relative to `cwd`. */
export function formatDiagnostic(d: Diagnostic, cwd: string): string {
  const where = d.site ? `${relative(cwd, d.site.file) || d.site.file}:${d.site.line}:${d.site.column}: ` : '';
  const subject = [d.nodeId ? `artifact "${d.nodeId}"` : '', d.path?.length ? formatPath(d.path) : '']
    .filter(Boolean)
    .join(' ');
  const lines = [`${where}error[${d.code}] ${subject ? `${subject}: ` : ''}${d.message}`];
  const frame = d.site ? codeFrame(d.site) : undefined;
  if (frame) lines.push(frame);
  for (const n of d.notes ?? []) lines.push(`  = ${n}`);
  return lines.join('\n');
}

function codeFrame(site: CallSite): string | undefined {
  try {
    const text = readFileSync(site.file, 'utf8').split('\n')[site.line - 1];
    if (text === undefined) return undefined;
    const num = String(site.line);
    return `  ${num} | ${text}\n  ${' '.repeat(num.length)} | ${' '.repeat(Math.max(0, site.column - 1))}^`;
  } catch {
    return undefined;
  }
}

/** Orders diagnostics by file, line, then message, so output is stable. */
export function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return [...ds].sort(
    (a, b) =>
      (a.site?.file ?? '').localeCompare(b.site?.file ?? '') ||
      (a.site?.line ?? 0) - (b.site?.line ?? 0) ||
      (a.nodeId ?? '').localeCompare(b.nodeId ?? '') ||
      a.message.localeCompare(b.message),
  );
}
