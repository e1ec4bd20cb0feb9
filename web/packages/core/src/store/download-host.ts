// The model store's dedicated worker: fetches, hashes and writes model files
// to OPFS with synchronous access handles, one request at a time per model.

import { runDownloadJob } from './download-job.js';
import { reviveError, serializeError } from './errors.js';
import type { WorkerReply, WorkerRequest } from './protocol.js';

const running = new Map<string, AbortController>();

function reply(message: WorkerReply): void {
  postMessage(message);
}

addEventListener('message', (event: MessageEvent<WorkerRequest>) => {
  const message = event.data;
  if (message.type === 'abort') {
    running.get(message.requestId)?.abort(reviveError(message.reason));
    return;
  }
  const controller = new AbortController();
  running.set(message.requestId, controller);
  runDownloadJob(message.job, message.requestId, controller.signal, (progress) => reply({ type: 'progress', requestId: message.requestId, event: progress }))
    .then(() => reply({ type: 'done', requestId: message.requestId }))
    .catch((error: unknown) => reply({ type: 'failed', requestId: message.requestId, error: serializeError(error) }))
    .finally(() => running.delete(message.requestId));
});
