// Encodes the engine's pixels as PNG off the main thread (a 512 px PNG takes tens of milliseconds).
import { type RpcScope, servePngEncoder } from '@hybridgen/core';

servePngEncoder(self as unknown as RpcScope);
