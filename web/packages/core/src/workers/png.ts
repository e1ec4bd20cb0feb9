/**
 * Worker entry of the PNG encoder (`@hybridgen/core/workers/png`): encodes the engine's
 * pixels off the main thread.
 *
 * @packageDocumentation
 */

import { type RpcScope, servePngEncoder } from '../index.js';

servePngEncoder(self as unknown as RpcScope);
