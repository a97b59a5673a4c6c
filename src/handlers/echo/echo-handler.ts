/**
 * `echo`: the built-in no-op handler for benchmarks and tests. Each request's answer is its
 * decoded body unchanged (bytes stay bytes, text stays text, JSON is re-serialised as 2-space
 * JSON). No content type is set, as TorchServe sends none by default.
 */
import type { Handler, HandlerContext, HandlerRequest, HandlerResult } from '../handler.js';

export class EchoHandler implements Handler {
  async initialize(_context: HandlerContext): Promise<void> {}

  async handle(requests: HandlerRequest[], _context: HandlerContext): Promise<HandlerResult[]> {
    return requests.map((r) => (r.body === undefined || r.body === null ? '' : r.body));
  }

  async describe(context: HandlerContext): Promise<unknown> {
    return { handler: 'echo', model: context.modelName, version: context.modelVersion };
  }
}
