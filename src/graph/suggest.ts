/** "Did you mean" suggestions for unknown target ids (Levenshtein distance, closest few). */
export function suggest(name: string, candidates: Iterable<string>, max = 3): string[] {
  const scored: [number, string][] = [];
  for (const c of candidates) {
    const d = distance(name, c);
    if (d <= Math.max(2, Math.floor(c.length / 3))) scored.push([d, c]);
  }
  return scored
    .sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1]))
    .slice(0, max)
    .map(([, c]) => c);
}

function distance(a: string, b: string): number {
  const prev = Array.from({length: b.length + 1}, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}
