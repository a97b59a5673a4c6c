/**
 * The management API across the front-end hop, from one list of its methods: the main thread
 * answers `management.<method>` calls with the real `ManagementApi` (`managementCalls`), a
 * front-end thread offers the same methods to the management routes by making those calls
 * (`remoteManagement`). Arguments and answers are plain data (JSON in a CALL entry).
 */
import type { ManagementApi, RemoteManagementApi } from '../management/management-api.js';
import type { CallMethod } from './front-end-pack.js';

const METHODS = ['register', 'scale', 'describe', 'list', 'unregister', 'setDefault'] as const satisfies readonly (keyof ManagementApi)[];

type Call = (...args: never[]) => unknown;

/** Main thread: `management.<method>` -> the real API's method. */
export function managementCalls(api: ManagementApi): Partial<Record<CallMethod, Call>> {
  const calls: Partial<Record<CallMethod, Call>> = {};
  for (const method of METHODS) calls[`management.${method}`] = (...args: never[]) => (api[method] as (...a: never[]) => unknown)(...args);
  return calls;
}

/** Front-end thread: each method asks the main thread through `call`. */
export function remoteManagement(call: (method: CallMethod, args: readonly unknown[]) => Promise<unknown>): RemoteManagementApi {
  const api: Partial<Record<keyof ManagementApi, (...args: unknown[]) => Promise<unknown>>> = {};
  for (const method of METHODS) api[method] = (...args: unknown[]) => call(`management.${method}`, args);
  return api as RemoteManagementApi;
}
