#!/usr/bin/env node
/**
 * `hybridgen-variants`: the model-variant transforms of @hybridgen/core in Node
 * (commands and options: see `cli-main.ts` and CONTEXT.md).
 */
import { runCli } from './cli-main.js';

process.exitCode = await runCli(process.argv.slice(2));
