// A SHA-256 hasher in its own worker, so hashing runs on another core while
// the download worker fetches and writes. Messages are handled strictly in
// order; see hash-pipeline.ts for the protocol.

import { createSHA256, type IHasher } from 'hash-wasm';
import type { HashReply, HashRequest } from './hash-pipeline.js';

const ready: Promise<IHasher> = createSHA256();
let queue: Promise<void> = Promise.resolve();

function handle(hasher: IHasher, message: HashRequest): void {
  const reply = (r: HashReply, transfer: Transferable[] = []): void => postMessage(r, { transfer });
  switch (message.type) {
    case 'init':
      hasher.init();
      if (message.state) hasher.load(message.state);
      return;
    case 'update':
      hasher.update(new Uint8Array(message.buffer));
      reply({ type: 'ack', bytes: message.buffer.byteLength });
      return;
    case 'save': {
      const state = hasher.save();
      reply({ type: 'state', id: message.id, state }, [state.buffer]);
      return;
    }
    case 'digest':
      reply({ type: 'digest', id: message.id, hex: hasher.digest('hex') });
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
