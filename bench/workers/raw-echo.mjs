/**
 * The physical floor: one worker answering each message with the tiny task's result, in order.
 * No framing, no ids, no error handling: the least a cross-thread call can do.
 */
import { parentPort } from 'node:worker_threads';
import { size } from './tiny.mjs';

parentPort.on('message', (payload) => {
  parentPort.postMessage(size(payload));
});
