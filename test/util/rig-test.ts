/**
 * Wraps an async uvu test with a timeout: uvu has none (lukeed/uvu#33), so a hung child process
 * would otherwise hang CI until its global limit.
 */
export function withTimeout<T>(
  fn: (ctx: T) => Promise<void>,
  timeoutMs = 120_000,
): (ctx: T) => Promise<void> {
  return async (ctx: T) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`test timed out after ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([fn(ctx), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
}
