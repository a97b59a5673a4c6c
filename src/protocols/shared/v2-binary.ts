/**
 * Framing of the binary tensor data extension (KServe / Triton): a body is a JSON header of
 * `Inference-Header-Content-Length` bytes followed by the raw tensors, concatenated in the
 * order of the header's inputs (or outputs) that carry `parameters.binary_data_size`.
 * Pure: works on buffers, knows nothing of HTTP beyond the header's name.
 */
import { InvalidInputError } from '../../errors/index.js';

export const HEADER_LENGTH_HEADER = 'inference-header-content-length';

export interface FramedBody {
  /** The parsed JSON header. */
  header: unknown;
  /** Everything after the JSON header (empty for pure-JSON bodies). */
  binary: Buffer;
}

function parseJson(text: Buffer, what: string): unknown {
  try {
    return JSON.parse(text.toString('utf8'));
  } catch (err) {
    throw new InvalidInputError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * Splits a request body. With `headerLength` (the header's value) the first `headerLength`
 * bytes are JSON and the rest binary; without it the whole body must be JSON (KServe answers
 * 400 "header is missing" when a binary body comes without it).
 */
export function splitBody(body: Buffer, headerLength: string | undefined, contentType: string): FramedBody {
  if (headerLength === undefined || headerLength === '') {
    if (contentType === 'application/octet-stream') {
      throw new InvalidInputError(`binary request without the Inference-Header-Content-Length header (the header is missing)`);
    }
    return { header: parseJson(body, 'request body'), binary: Buffer.alloc(0) };
  }
  const length = Number(headerLength);
  if (!Number.isInteger(length) || length < 0 || length > body.length) {
    throw new InvalidInputError(`Inference-Header-Content-Length ${JSON.stringify(headerLength)} is not a length within the ${body.length}-byte body`);
  }
  return { header: parseJson(body.subarray(0, length), 'inference header'), binary: body.subarray(length) };
}

/** Consumes the binary section tensor by tensor, in order. */
export class BinaryCursor {
  private offset = 0;
  constructor(private readonly binary: Buffer) {}

  take(name: string, size: unknown): Buffer {
    if (!Number.isInteger(size) || (size as number) < 0) {
      throw new InvalidInputError(`input "${name}": binary_data_size must be a non-negative integer, got ${JSON.stringify(size)}`);
    }
    const end = this.offset + (size as number);
    if (end > this.binary.length) {
      throw new InvalidInputError(
        `input "${name}": binary_data_size ${String(size)} exceeds the ${this.binary.length - this.offset} bytes left in the request body`,
      );
    }
    const slice = this.binary.subarray(this.offset, end);
    this.offset = end;
    return slice;
  }

  /** Throws when bytes were sent that no input claimed. */
  finish(): void {
    if (this.offset !== this.binary.length) {
      throw new InvalidInputError(`${this.binary.length - this.offset} bytes of binary data are not claimed by any input's binary_data_size`);
    }
  }
}

/** JSON header + raw tensors -> one body; returns the header length for the response header. */
export function joinBody(headerJson: string, tensors: readonly Uint8Array[]): { body: Buffer; headerLength: number } {
  const header = Buffer.from(headerJson, 'utf8');
  return { body: Buffer.concat([header, ...tensors]), headerLength: header.length };
}
