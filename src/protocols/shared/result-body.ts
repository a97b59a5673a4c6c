/**
 * Turning a handler's `InferenceResult` into a value the KServe / Vertex encoders can embed.
 * Handlers answer with bytes plus an optional content type (TorchServe sends none by default),
 * so the kind of the body is decided here, once, for every JSON-wrapping protocol:
 *
 * - content type containing `json`, or no content type and a body that parses as JSON -> JSON
 * - `text/*`, or no content type and valid UTF-8 -> text
 * - anything else (PNG from the SDXL handler, tensors) -> bytes, embedded as base64
 *
 * A result whose status is >= 400 (a handler-chosen status) becomes a `PredictionError`
 * carrying that status and the body text as its message.
 */
import { InternalServerError, PredictionError } from '../../errors/index.js';
import type { InferenceResult } from '../../inference/types.js';

export type DecodedResult =
  | { kind: 'json'; value: unknown }
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; bytes: Buffer };

/** Full body of a result; a streamed result is collected (KServe/Vertex replies are not streamed). */
export async function collectBody(result: InferenceResult): Promise<Buffer> {
  if (result.stream !== undefined) {
    const chunks: Buffer[] = [];
    for await (const chunk of result.stream) chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    return Buffer.concat(chunks);
  }
  const body = result.body ?? new Uint8Array(0);
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

function isUtf8(bytes: Buffer): boolean {
  return Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
}

export function decodeResultBody(body: Buffer, contentType: string | undefined): DecodedResult {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type.includes('json')) {
    try {
      return { kind: 'json', value: JSON.parse(body.toString('utf8')) };
    } catch {
      throw new InternalServerError(`the handler answered ${type} that is not valid JSON`);
    }
  }
  if (type.startsWith('text/')) return { kind: 'text', text: body.toString('utf8') };
  if (type === '' && body.length > 0 && isUtf8(body)) {
    const text = body.toString('utf8');
    try {
      return { kind: 'json', value: JSON.parse(text) };
    } catch {
      return { kind: 'text', text };
    }
  }
  return { kind: 'bytes', bytes: body };
}

/** Collects, checks the status, decodes. */
export async function readResult(result: InferenceResult): Promise<DecodedResult> {
  const body = await collectBody(result);
  if (result.status >= 400) {
    throw new PredictionError(body.toString('utf8') || 'Prediction failed', { status: result.status });
  }
  return decodeResultBody(body, result.contentType ?? result.headers['content-type']);
}

/** A decoded result as one JSON value: bytes become `{"b64": "<base64>"}` (TF-Serving / Vertex convention). */
export function toJsonValue(decoded: DecodedResult): unknown {
  switch (decoded.kind) {
    case 'json':
      return decoded.value;
    case 'text':
      return decoded.text;
    case 'bytes':
      return { b64: decoded.bytes.toString('base64') };
  }
}
