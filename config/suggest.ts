/** "Did you mean" for misspelt config keys and environment variables. */

/** Edit distance (insert, delete, substitute one character) between two strings. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The closest candidate to `word`, or undefined when none is close enough.
 * Comparison ignores case; a candidate may be at most about a quarter of its
 * length away (at least 1, plus `penalty` for candidates in another place).
 */
export function closest(
  word: string,
  candidates: readonly { readonly name: string; readonly label: string; readonly penalty: number }[],
): string | undefined {
  let best: { label: string; distance: number } | undefined;
  for (const c of candidates) {
    const distance = editDistance(word.toLowerCase(), c.name.toLowerCase()) + c.penalty;
    const allowed = Math.max(1, Math.floor(c.name.length / 4)) + c.penalty;
    if (distance <= allowed && (best === undefined || distance < best.distance)) {
      best = { label: c.label, distance };
    }
  }
  return best?.label;
}
