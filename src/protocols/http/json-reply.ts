import type { FastifyReply } from 'fastify';
import { restJson } from './rest-json.js';

/**
 * Sends REST JSON with `content-type: application/json` exactly as TorchServe does (fastify
 * would append `; charset=utf-8` to a string payload, so the bytes go out as a Buffer).
 */
export function sendJson(reply: FastifyReply, status: number, value: unknown): FastifyReply {
  return reply.code(status).header('content-type', 'application/json').send(Buffer.from(restJson(value), 'utf8'));
}
