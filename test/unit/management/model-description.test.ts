import { describe, expect, it } from 'vitest';
import { formatLocalTimestamp } from '../../../src/management/model-description.js';

describe('describe startTime', () => {
  it('is local time with a literal Z, millisecond precision', () => {
    const d = new Date(2025, 2, 7, 4, 5, 6, 9); // local time
    expect(formatLocalTimestamp(d)).toBe('2025-03-07T04:05:06.009Z');
  });
});
