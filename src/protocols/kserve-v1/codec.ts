/**
 * KServe v1 REST bodies. Pure. Request bodies are parsed by `shared/instances.ts` (shared with
 * Vertex and the `kserve` envelope); this file holds the v1-only shapes.
 */
import { ResourceNotFoundError } from '../../errors/index.js';

export type V1Verb = 'predict' | 'explain';

/** `m:predict` -> `{model: 'm', verb: 'predict'}`; the last `:` separates (names may hold colons). */
export function parseTarget(target: string): { model: string; verb: V1Verb } {
  const at = target.lastIndexOf(':');
  const verb = at > 0 ? target.slice(at + 1) : '';
  if (verb !== 'predict' && verb !== 'explain') throw new ResourceNotFoundError();
  return { model: target.slice(0, at), verb };
}

/** `{"predictions": [...]}`, or `{"explanations": [...]}` for `:explain` (as TorchServe's envelope). */
export function encodePredictions(verb: V1Verb, values: unknown[]): Buffer {
  return Buffer.from(JSON.stringify(verb === 'explain' ? { explanations: values } : { predictions: values }), 'utf8');
}
