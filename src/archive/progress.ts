/**
 * Decides when extraction progress is worth a log line: when at least `stepPercent` more of the
 * total is done, or `intervalMs` passed since the last line (and something moved).
 */
export interface ProgressThrottleOptions {
  total: number;
  stepPercent?: number;
  intervalMs?: number;
  now?: () => number;
}

export class ProgressThrottle {
  private readonly total: number;
  private readonly step: number;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private lastBytes = 0;
  private lastAt: number;

  constructor(options: ProgressThrottleOptions) {
    this.total = options.total;
    this.step = (options.stepPercent ?? 5) / 100;
    this.intervalMs = options.intervalMs ?? 2000;
    this.now = options.now ?? Date.now;
    this.lastAt = this.now();
  }

  /** Returns the percentage to report, or `undefined` when this update should stay quiet. */
  update(bytes: number): number | undefined {
    if (bytes <= this.lastBytes) return undefined;
    const at = this.now();
    const byStep = this.total > 0 && bytes - this.lastBytes >= this.total * this.step;
    const byTime = at - this.lastAt >= this.intervalMs;
    if (!byStep && !byTime) return undefined;
    this.lastBytes = bytes;
    this.lastAt = at;
    return this.total > 0 ? Math.min(100, Math.floor((bytes / this.total) * 100)) : 100;
  }
}
