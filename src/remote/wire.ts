/**
 * What crosses a comlink connection besides plain data. Comlink's own handler for thrown errors
 * keeps only `name`, `message` and `stack`: ours sends breakwater's explicit serialization, so a
 * client in another thread can branch on `code` (ERR_CIRCUIT_OPEN, ...) and read the cause chain.
 * Event payloads that carry an error get the same treatment.
 *
 * Comlink's handlers are process-wide, per thread: importing this module installs ours in the
 * thread that imports it (the supervisor's thread and each client thread both do).
 */

import type { MessagePort, TransferListItem } from 'node:worker_threads';
import * as Comlink from 'comlink';
import { deserializeError, type SerializedThrown, serializeError } from '../serialization/errors.ts';

type Handler = Comlink.TransferHandler<unknown, unknown>;

let installed = false;

/** Installs breakwater's comlink transfer handlers in this thread (idempotent). */
export function installTransferHandlers(): void {
  if (installed) return;
  installed = true;
  const thrown = Comlink.transferHandlers.get('throw') as Handler;
  Comlink.transferHandlers.set('throw', {
    canHandle: thrown.canHandle,
    serialize: (wrapped: unknown) => [serializeError((wrapped as { value: unknown }).value), []],
    deserialize: (data: unknown) => {
      throw deserializeError(data as SerializedThrown);
    },
  } satisfies Handler);
  const proxied = Comlink.transferHandlers.get('proxy') as Handler;
  Comlink.transferHandlers.set('proxy', {
    canHandle: proxied.canHandle,
    serialize: (value: unknown) => proxied.serialize(value),
    deserialize: (port: unknown) => {
      const remote = proxied.deserialize(port);
      // A listener proxied in from a client must not keep the supervisor's process alive.
      (port as MessagePort).unref();
      return remote;
    },
  } satisfies Handler);
}

/** An event payload, with its `error` (if any) serialized. */
export function eventToWire(payload: unknown): unknown {
  if (typeof payload !== 'object' || payload === null || !('error' in payload)) return payload;
  return { ...payload, error: serializeError((payload as { error: unknown }).error), wireError: true };
}

export function eventFromWire(payload: unknown): unknown {
  if (typeof payload !== 'object' || payload === null || !('wireError' in payload)) return payload;
  const { wireError: _, error, ...rest } = payload as { wireError: true; error: SerializedThrown };
  return { ...rest, error: deserializeError(error) };
}

/** `callResult()` across the connection: the error travels serialized. */
export type WireResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: SerializedThrown };

/** Arguments of a remote call, in one object so a transfer list can move what they contain. */
export interface WireCall {
  readonly args: readonly unknown[];
  readonly transfer: readonly TransferListItem[];
}

export interface WireCallOptions {
  /** Set when the caller has an AbortSignal: the id `abort()` names. */
  readonly abortId: number | undefined;
  readonly timeoutMs: number | undefined;
}
