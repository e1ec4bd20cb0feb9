#!/usr/bin/env node
// Prints the WebGPU adapter Dawn finds (exit 0), or why there is none (exit 1).
// node bench/gpu/runner/adapter.mjs NODE_MODULES
import { installDawn, releaseKeepAlive } from './env.mjs';

const adapter = await installDawn(process.argv[2] ?? 'web/node_modules');
console.log(JSON.stringify(adapter));
releaseKeepAlive();
process.exit(adapter.error ? 1 : 0);
