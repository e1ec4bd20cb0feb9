/**
 * Worker entry of the variant builder (`@hybridgen/variants/workers/variants`):
 * builds derived variants (fp16 -> fp32, int8) into OPFS off the main thread.
 *
 * @packageDocumentation
 */

import { serveVariantBuilder, type VariantWorkerScope } from '../index.js';

serveVariantBuilder(self as unknown as VariantWorkerScope);
