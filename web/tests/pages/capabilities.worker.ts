// Answers any message with the capability report as seen from a worker.
import { detectCapabilities } from '@hybridgen/core';

addEventListener('message', async () => {
  postMessage(await detectCapabilities());
});
