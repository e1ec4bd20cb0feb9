// The download's hashes (SHA-256, and git's blob SHA-1 when asked) in their
// own worker, so hashing runs on another core while the download worker
// fetches and writes. Messages are handled strictly in order; see
// hash-pipeline.ts for the protocol.

import { DualHasher, type HashReply, type HashRequest } from './hash-pipeline.js';

const ready: Promise<DualHasher> = DualHasher.create();
let queue: Promise<void> = Promise.resolve();

function handle(hasher: DualHasher, message: HashRequest): void {
  const reply = (r: HashReply, transfer: Transferable[] = []): void => postMessage(r, { transfer });
  switch (message.type) {
    case 'init':
      hasher.init(message.start);
      return;
    case 'update':
      hasher.update(new Uint8Array(message.buffer));
      reply({ type: 'ack', bytes: message.buffer.byteLength });
      return;
    case 'save': {
      const state = hasher.save();
      const transfer: Transferable[] = [state.sha256.buffer];
      if (state.gitBlobSha1) transfer.push(state.gitBlobSha1.buffer);
      reply({ type: 'state', id: message.id, state }, transfer);
      return;
    }
    case 'digest':
      reply({ type: 'digest', id: message.id, digests: hasher.digest() });
  }
}

addEventListener('message', (event: MessageEvent<HashRequest>) => {
  const message = event.data;
  queue = queue.then(async () => {
    try {
      handle(await ready, message);
    } catch (error) {
      postMessage({ type: 'error', message: String(error) } satisfies HashReply);
    }
  });
});
