// The PNG encoder's worker for the test pages (as apps/canvas has one).
import { type RpcScope, servePngEncoder } from '@hybridgen/core';

servePngEncoder(self as unknown as RpcScope);
