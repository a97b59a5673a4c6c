/**
 * The life cycle of one registered model version (pure), after Triton's ModelReadyState:
 *
 *   LOADING ──▶ READY ──▶ UNLOADING ──▶ (removed)
 *      │          ▲  │         │
 *      └──────────┘  │         └──▶ READY   (unregister timed out: the model stays)
 *                    ▼
 *                 FAILED ──▶ READY (a later scale succeeded) / UNLOADING
 *
 * LOADING: registered, first workers starting. READY: serving (possibly with 0 workers).
 * FAILED: its workers could not load. UNLOADING: unregister in progress; new requests are refused.
 */
export type ModelState = 'LOADING' | 'READY' | 'FAILED' | 'UNLOADING';

const transitions: Readonly<Record<ModelState, readonly ModelState[]>> = {
  LOADING: ['READY', 'FAILED', 'UNLOADING'],
  READY: ['FAILED', 'UNLOADING'],
  FAILED: ['READY', 'UNLOADING'],
  UNLOADING: ['READY', 'FAILED'],
};

export function canTransition(from: ModelState, to: ModelState): boolean {
  return from === to || transitions[from].includes(to);
}

/** Whether new inference requests are accepted in this state. */
export function acceptsRequests(state: ModelState): boolean {
  return state !== 'UNLOADING';
}
