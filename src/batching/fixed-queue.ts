/**
 * A growable ring-buffer deque: O(1) `push`, `shift` and `unshift` (after undici's
 * `fixed-queue.js`, without `Array.shift`'s O(n) copy). Capacity doubles when full and never
 * shrinks, so a queue bounded by `job_queue_size` allocates at most once or twice.
 *
 *   head ─┐           ┌─ tail (next free slot)
 *   [ . . a b c d . . ]   length = 4
 */
export class FixedQueue<T> {
  private items: (T | undefined)[];
  private head = 0;
  private size = 0;

  constructor(initialCapacity = 16) {
    this.items = new Array<T | undefined>(Math.max(2, initialCapacity));
  }

  get length(): number {
    return this.size;
  }

  isEmpty(): boolean {
    return this.size === 0;
  }

  push(item: T): void {
    if (this.size === this.items.length) this.grow();
    this.items[(this.head + this.size) % this.items.length] = item;
    this.size++;
  }

  /** Insert at the head (re-queued work goes first). */
  unshift(item: T): void {
    if (this.size === this.items.length) this.grow();
    this.head = (this.head - 1 + this.items.length) % this.items.length;
    this.items[this.head] = item;
    this.size++;
  }

  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.size--;
    return item;
  }

  peek(): T | undefined {
    return this.size === 0 ? undefined : this.items[this.head];
  }

  /** Keep only the items for which `keep` is true, in order. O(n); used only when the queue is full. */
  retain(keep: (item: T) => boolean): void {
    const kept: T[] = [];
    for (const item of this) if (keep(item)) kept.push(item);
    this.items.fill(undefined);
    this.head = 0;
    this.size = 0;
    for (const item of kept) this.push(item);
  }

  /** Remove and return every item, in order. */
  drain(): T[] {
    const out: T[] = [];
    for (let item = this.shift(); item !== undefined; item = this.shift()) out.push(item);
    return out;
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0; i < this.size; i++) yield this.items[(this.head + i) % this.items.length] as T;
  }

  private grow(): void {
    const next = new Array<T | undefined>(this.items.length * 2);
    for (let i = 0; i < this.size; i++) next[i] = this.items[(this.head + i) % this.items.length];
    this.items = next;
    this.head = 0;
  }
}
