// Builds derived model variants (fp16 -> fp32, int8) into OPFS off the main thread.
import { serveVariantBuilder } from '@hybridgen/variants';

serveVariantBuilder(self as unknown as Parameters<typeof serveVariantBuilder>[0]);
