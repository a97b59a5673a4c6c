/**
 * TorchServe's worker restart back-off (§9.4): Fibonacci seconds 1, 1, 2, 3, 5, …, capped at
 * 1597, indexed by the number of consecutive failures (1-based). Pure.
 */
export const BACKOFF_CAP_SECONDS = 1597;

export function fibonacciBackoffSeconds(failures: number): number {
  if (failures <= 0) return 0;
  let a = 1;
  let b = 1;
  for (let i = 1; i < failures; i++) {
    [a, b] = [b, a + b];
    if (a >= BACKOFF_CAP_SECONDS) return BACKOFF_CAP_SECONDS;
  }
  return Math.min(a, BACKOFF_CAP_SECONDS);
}

/** Still inside the recovery window opened by the first failure of the current streak? */
export function withinRecoveryWindow(firstFailureAtMs: number, nowMs: number, windowSeconds: number): boolean {
  return nowMs - firstFailureAtMs < windowSeconds * 1000;
}
